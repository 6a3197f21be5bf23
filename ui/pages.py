"""The app's pages, listed once: the navigation, the Home page's cards and every link to a page read them here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppPage:
    path: str
    title: str
    icon: str
    summary: str = ""  # what the page does, for the Home page's card


HOME = AppPage("app_pages/home.py", "Home", ":material/home:")
EXPLORE = AppPage("app_pages/explore.py", "Explore", ":material/bar_chart:",
                  "Class counts and imbalance, balancing, sample and mean faces, pixel histogram, "
                  "duplicate and blank images.")
COLLECT = AppPage("app_pages/collect.py", "Collect", ":material/photo_camera:",
                  "Make classes of your own from the camera, the way Teachable Machine does: name a class, take "
                  "photos one at a time or in a burst, then train on them.")
TRAIN = AppPage("app_pages/train.py", "Train", ":material/model_training:",
                "Start a training job (the default takes minutes on 2 CPU cores), watch its loss and accuracy live, "
                "and compare past runs.")
PREDICT = AppPage("app_pages/predict.py", "Predict", ":material/mood:",
                  "Upload a photo or take one: every face boxed, with its top-3 emotions and what the model looked at.")
VIDEO = AppPage("app_pages/video.py", "Video", ":material/videocam:",
                "A clip in, every person's emotions over time out; or the webcam, live.")
PAGES = (HOME, EXPLORE, COLLECT, TRAIN, PREDICT, VIDEO)
