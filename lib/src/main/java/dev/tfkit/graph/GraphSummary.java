package dev.tfkit.graph;

import java.util.List;
import java.util.Map;

/**
 * What a graph holds at a glance: node count, op histogram, bytes in constants and in variables,
 * and the likely inputs (placeholders) and outputs (sinks).
 *
 * @param nodeCount nodes in the graph
 * @param opCounts op name to count, most frequent first
 * @param constBytes bytes held by Const nodes
 * @param variableBytes bytes held by restored variable values
 * @param variableCount variables (ref and resource)
 * @param likelyInputs Placeholder nodes
 * @param likelyOutputs nodes no other node consumes (excluding NoOps, saver and variable plumbing)
 */
public record GraphSummary(
    int nodeCount,
    Map<String, Integer> opCounts,
    long constBytes,
    long variableBytes,
    int variableCount,
    List<String> likelyInputs,
    List<String> likelyOutputs) {

  /** Total bytes of constants and variables. */
  public long totalBytes() {
    return constBytes + variableBytes;
  }

  /** A few readable lines, as {@code tfkit show} prints them. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append("nodes: ").append(nodeCount).append('\n');
    sb.append("constants: ").append(SizeReport.human(constBytes)).append('\n');
    sb.append("variables: ").append(variableCount).append(" (").append(SizeReport.human(variableBytes)).append(")\n");
    sb.append("ops:");
    int shown = 0;
    for (Map.Entry<String, Integer> e : opCounts.entrySet()) {
      if (shown++ == 25) {
        sb.append(" ... (").append(opCounts.size() - 25).append(" more)");
        break;
      }
      sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
    }
    sb.append('\n');
    sb.append("likely inputs: ").append(likelyInputs).append('\n');
    sb.append("likely outputs: ").append(likelyOutputs.size() > 20 ? likelyOutputs.subList(0, 20) + " ..." : likelyOutputs).append('\n');
    return sb.toString();
  }
}
