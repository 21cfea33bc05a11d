"""The node image and the small lab images: build (offline first) and load into nodes."""

from swarmlab.images.build import (
    LAB_IMAGE_TAGS,
    NODE_IMAGE,
    build_all,
    image_table,
    is_current,
)
from swarmlab.images.load import load_images

__all__ = ["LAB_IMAGE_TAGS", "NODE_IMAGE", "build_all", "image_table", "is_current", "load_images"]
