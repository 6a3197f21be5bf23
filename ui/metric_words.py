"""What the scores and splits mean, in plain words: said once here, shown by every page as a metric's help= tooltip or
a caption where the word appears."""

TEST_ACCURACY = ("The share of the test faces whose most likely emotion is the right one. Test faces are held back: "
                 "the model never trained on them. Where they also picked its best epoch (data without a separate "
                 "validation split), a line under the figure says so: the score is then optimistic.")
TOP3_ACCURACY = "The share of test faces whose right emotion is among the model's three most likely ones (its top-3)."
MACRO_F1 = ("F1 balances how often a class's answers are right (precision) and how many of its faces are found "
            "(recall); macro F1 averages it over the classes, so a rare class counts as much as a common one. "
            "0 is nothing right, 1 is perfect.")
VALIDATION_ACCURACY = ("Accuracy on the validation faces, scored after every epoch to pick the best one; not trained "
                       "on, but they chose the model, so the test score is the fairer one.")
SPLITS_IN_WORDS = ("Train: the faces the model learns from. Validation: faces scored after every epoch to pick the "
                   "best one. Test: faces kept aside until the end, for the score you can trust.")
TOP3_IN_WORDS = "Top-3: the three emotions the model finds most likely for the face, with their probabilities."
