"""The prediction pipeline: a model on disk (model_contract.py: its contract and card) served by LiteRT
(face_classifier.py), faces found in a photo (face_detection.py) and ranked (predictor.py, ranking), frame after
frame for a clip (video_clips.py decodes, face_tracking.py follows people, video_analysis.py puts it together)."""
