"""Entry point for `streamlit run streamlit_app.py`; the app itself lives in perspectives.app."""

from perspectives.app.main import main

main()
