package dev.tfkit.graph;

/** The file formats {@link ModelGraph#load} reads. */
public enum ModelFormat {
  /** A binary GraphDef ({@code .pb}), usually frozen. */
  GRAPH_DEF,
  /** A GraphDef in protobuf text format ({@code .pbtxt}). */
  GRAPH_DEF_TEXT,
  /** A TF1 checkpoint: meta graph ({@code .meta}) plus variable data (V1 or V2 format). */
  CHECKPOINT,
  /** A SavedModel folder ({@code saved_model.pb} plus {@code variables/}), TF1 or TF2. */
  SAVED_MODEL,
  /** A TensorFlow.js graph model ({@code model.json} plus weight shards). */
  TFJS_GRAPH_MODEL,
  /** Built in memory (no file). */
  IN_MEMORY
}
