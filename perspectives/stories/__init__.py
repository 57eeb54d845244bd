"""Stage 4: group articles into stories and describe each story."""

from perspectives.stories.clusterer import StoryClusterer
from perspectives.stories.describe import describe_stories, story_id

__all__ = ["StoryClusterer", "describe_stories", "story_id"]
