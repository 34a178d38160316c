"""Reading, validating and writing .tflite models."""
