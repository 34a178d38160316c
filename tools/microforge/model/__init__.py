"""Reading, validating and writing .tflite models.

- ``reader``:     ``validate(path) -> ModelSummary`` for the build (raises ``ModelError``);
                  ``python -m microforge.model.reader MODEL`` prints the summary
- ``writer``:     ``ModelWriter`` and ``single_op_model`` build models for tests
- ``families``:   random-weight instances of common MCU model families, random graphs
- ``schema``:     the TFLite schema facts both sides use
- ``flatbuffer``: the FlatBuffers builder under the writer
"""
