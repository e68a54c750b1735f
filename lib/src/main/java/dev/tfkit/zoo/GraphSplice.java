package dev.tfkit.zoo;

import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Wires a model imported under a prefix onto tensors built before it: its input placeholder becomes
 * an {@code Identity} of a pre-processing tensor. TensorFlow's import has no input map in TF Java,
 * so the join is made on the GraphDef.
 */
final class GraphSplice {
  private GraphSplice() {}

  /**
   * A copy of {@code graph} without placeholder {@code placeholder}: every node that read it reads
   * {@code source} instead. (Rewiring the consumers, rather than turning the placeholder into an
   * Identity, matters: TensorFlow's oneDNN layout pass crashes the process on such an Identity
   * in front of convolutions.)
   *
   * @throws IllegalArgumentException naming the node when it is missing or not a Placeholder
   */
  static GraphDef feedPlaceholder(GraphDef graph, String placeholder, String source, DataType dtype) {
    GraphDef.Builder b = GraphDef.newBuilder(graph).clearNode();
    boolean found = false;
    for (NodeDef n : graph.getNodeList()) {
      if (n.getName().equals(placeholder)) {
        if (!n.getOp().equals("Placeholder")) {
          throw new IllegalArgumentException(
              "node '" + placeholder + "' is a " + n.getOp() + ", not a Placeholder: cannot feed it from '" + source + "'");
        }
        if (n.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).getType() != dtype) {
          throw new IllegalArgumentException(
              "placeholder '" + placeholder + "' has dtype "
                  + n.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).getType() + ", not " + dtype);
        }
        found = true;
        continue;
      }
      NodeDef.Builder nb = n.toBuilder();
      for (int i = 0; i < nb.getInputCount(); i++) {
        String in = nb.getInput(i);
        if (in.equals(placeholder) || in.equals(placeholder + ":0")) nb.setInput(i, source);
        else if (in.equals("^" + placeholder)) nb.setInput(i, "^" + source.split(":")[0]);
      }
      b.addNode(nb);
    }
    if (!found) {
      throw new IllegalArgumentException("node '" + placeholder + "' not found: cannot feed it from '" + source + "'");
    }
    return b.build();
  }
}
