package dev.tfkit.graph;

/**
 * A parsed tensor or node reference as GraphDef inputs spell it: {@code node}, {@code node:1} or
 * {@code ^node} (a control dependency).
 *
 * @param node the node name
 * @param index the output index (0 when omitted; -1 for a control dependency)
 */
public record TensorName(String node, int index) {

  /** Parses {@code node}, {@code node:N} or {@code ^node}. */
  public static TensorName parse(String s) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException("empty tensor name");
    }
    if (s.startsWith("^")) return new TensorName(s.substring(1), -1);
    int colon = s.lastIndexOf(':');
    if (colon > 0 && colon < s.length() - 1) {
      String tail = s.substring(colon + 1);
      if (tail.chars().allMatch(Character::isDigit)) {
        try {
          return new TensorName(s.substring(0, colon), Integer.parseInt(tail));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad output index in tensor name '" + s + "'");
        }
      }
    }
    return new TensorName(s, 0);
  }

  /** Whether this is a control dependency ({@code ^node}). */
  public boolean isControl() {
    return index < 0;
  }

  /** The tensor name with an explicit index ({@code node:0}), or {@code ^node} for a control input. */
  @Override
  public String toString() {
    return isControl() ? "^" + node : node + ":" + index;
  }

  /** The spelling GraphDef inputs use: {@code node} for output 0, {@code node:N}, or {@code ^node}. */
  public String asInput() {
    return isControl() ? "^" + node : index == 0 ? node : node + ":" + index;
  }
}
