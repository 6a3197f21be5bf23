"""The data pipeline: a file in (FER2013's CSV in its variants, or an image folder with any classes), one
`FERDataset` out (faces, labels, class names, usage), split, balanced and checked for quality."""
