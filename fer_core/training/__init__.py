"""The training pipeline: a `TrainingConfig` (config.py) and an architecture (the architectures package) in, a run folder
(runs.py) with a scored, exportable model out. recipe.py is the story from data to model; jobs.py starts it in its
own process for the app. Importing this package is light: only recipe.py and its helpers import TensorFlow."""
