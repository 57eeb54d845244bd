"""The Streamlit app over the store: `perspectives app` or `streamlit run streamlit_app.py`."""
