package dev.tfkit.graph;

/**
 * Graph size before and after a surgery step: nodes and bytes of constants plus variables.
 *
 * @param nodesBefore node count before
 * @param nodesAfter node count after
 * @param bytesBefore constant and variable bytes before
 * @param bytesAfter constant and variable bytes after
 * @param serializedBefore bytes of the serialized GraphDef before (variables not counted)
 * @param serializedAfter bytes of the serialized GraphDef after
 */
public record SizeReport(long nodesBefore, long nodesAfter, long bytesBefore, long bytesAfter,
    long serializedBefore, long serializedAfter) {

  /** Compares two graphs. */
  public static SizeReport of(ModelGraph before, ModelGraph after) {
    GraphSummary a = before.summary();
    GraphSummary b = after.summary();
    return new SizeReport(a.nodeCount(), b.nodeCount(), a.totalBytes(), b.totalBytes(),
        before.graphDef().getSerializedSize(), after.graphDef().getSerializedSize());
  }

  @Override
  public String toString() {
    return String.format("nodes %d -> %d, weights %s -> %s, GraphDef %s -> %s",
        nodesBefore, nodesAfter, human(bytesBefore), human(bytesAfter), human(serializedBefore), human(serializedAfter));
  }

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return String.format("%.1f KiB", bytes / 1024.0);
    if (bytes < 1024L * 1024 * 1024) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
