package dev.tfkit.graph;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Maps the ops only TensorFlow.js knows, or whose fused form the TF runtime's kernels do not cover,
 * onto ops the runtime runs: {@code _FusedConv2D} / {@code _FusedMatMul} stay fused when the CPU
 * kernel handles their fused ops (BiasAdd plus Relu, Relu6, Elu or LeakyRelu); other fusions, {@code FusedDepthwiseConv2dNative} and {@code Prelu} are
 * expanded into chains of plain ops whose last node keeps the original name, so every consumer and
 * every signature tensor stays valid.
 */
final class TfjsOps {
  private static final Set<String> FUSED =
      Set.of("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative", "_FusedMatMul");

  private TfjsOps() {}

  /** Whether the graph has a node this class rewrites. */
  static boolean needsRewrite(GraphDef g) {
    for (NodeDef n : g.getNodeList()) if (FUSED.contains(n.getOp()) || n.getOp().equals("Prelu")) return true;
    return false;
  }

  static GraphDef expand(GraphDef g, String source) {
    Set<String> names = new HashSet<>();
    for (NodeDef n : g.getNodeList()) names.add(n.getName());
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      if (nativeKernelCovers(n)) {
        out.add(withoutUnknownAttrs(n));
      } else if (FUSED.contains(n.getOp())) {
        expandFused(n, out, names, source);
      } else if (n.getOp().equals("Prelu")) {
        List<String> data = dataInputs(n);
        if (data.size() != 2) throw new IllegalArgumentException(source + ": Prelu node '" + n.getName() + "' needs 2 inputs, has " + data.size());
        prelu(n.getName(), data.get(0), data.get(1), n.getAttrOrDefault("T", floatType()), controlInputs(n), out, names);
      } else {
        out.add(n);
      }
    }
    return GraphSurgery.rebuild(g, out);
  }

  /** Activations the TF runtime's CPU kernels of {@code _FusedConv2D} and {@code _FusedMatMul} fuse after BiasAdd. */
  private static final Set<String> NATIVE_ACTIVATIONS = Set.of("Relu", "Relu6", "Elu", "LeakyRelu");

  /**
   * Whether TensorFlow's own kernel runs this fused node as it is: {@code _FusedConv2D} and {@code
   * _FusedMatMul} with BiasAdd and at most one of Relu, Relu6, Elu, LeakyRelu. Keeping those fused
   * is faster, and it matters: oneDNN's layout pass crashes the process on some expanded
   * Conv2D + BiasAdd chains (BlazeFace behind a resize, docs/known-issues.md).
   */
  static boolean nativeKernelCovers(NodeDef n) {
    if (!n.getOp().equals("_FusedConv2D") && !n.getOp().equals("_FusedMatMul")) return false;
    List<String> fused = new ArrayList<>();
    for (var s : n.getAttrOrDefault("fused_ops", AttrValue.getDefaultInstance()).getList().getSList()) {
      fused.add(s.toString(StandardCharsets.UTF_8));
    }
    if (fused.isEmpty() || !fused.get(0).equals("BiasAdd") || fused.size() > 2) return false;
    if (fused.size() == 2 && !NATIVE_ACTIVATIONS.contains(fused.get(1))) return false;
    return n.getAttrOrDefault("num_args", AttrValue.getDefaultInstance()).getI() == 1
        && dataInputs(n).size() == 3
        && n.getAttrOrDefault("T", floatType()).getType() == DataType.DT_FLOAT;
  }

  /**
   * The node without attrs the runtime's op does not define; the ones it requires and TF.js leaves
   * out (such as {@code TArgs}) are filled for every node afterwards by {@link RequiredAttrs}.
   */
  private static NodeDef withoutUnknownAttrs(NodeDef n) {
    OpDef def = OpRegistry.get(n.getOp());
    Set<String> allowed = new HashSet<>();
    for (OpDef.AttrDef a : def.getAttrList()) allowed.add(a.getName());
    NodeDef.Builder b = n.toBuilder();
    // Attrs the runtime's op does not define would only be warned about and ignored: drop them.
    for (String k : List.copyOf(b.getAttrMap().keySet())) if (!allowed.contains(k)) b.removeAttr(k);
    return b.build();
  }

  private static void expandFused(NodeDef n, List<NodeDef> out, Set<String> names, String source) {
    String baseOp = switch (n.getOp()) {
      case "_FusedConv2D" -> "Conv2D";
      case "_FusedMatMul" -> "MatMul";
      default -> "DepthwiseConv2dNative";
    };
    List<String> fused = new ArrayList<>();
    if (n.containsAttr("fused_ops")) {
      for (var s : n.getAttrOrThrow("fused_ops").getList().getSList()) fused.add(s.toString(StandardCharsets.UTF_8));
    }
    List<String> data = dataInputs(n);
    if (data.size() < 2) throw new IllegalArgumentException(source + ": node '" + n.getName() + "' (" + n.getOp() + ") needs at least 2 inputs");
    List<String> args = data.subList(2, data.size());
    AttrValue t = n.getAttrOrDefault("T", floatType());
    String name = n.getName();
    String cur = fused.isEmpty() ? name : unique(name + "/" + baseOp, names);
    NodeDef.Builder base = NodeDef.newBuilder().setName(cur).setOp(baseOp).addInput(data.get(0)).addInput(data.get(1))
        .addAllInput(controlInputs(n));
    copyKnownAttrs(n, base, baseOp);
    out.add(base.build());
    if (fused.isEmpty()) return;
    String first = fused.get(0);
    int argsUsed;
    List<String> acts = fused.subList(1, fused.size());
    String stepName = acts.isEmpty() ? name : unique(name + "/" + first, names);
    switch (first) {
      case "BiasAdd" -> {
        need(args, 1, n, source);
        NodeDef.Builder b = NodeDef.newBuilder().setName(stepName).setOp("BiasAdd").addInput(cur).addInput(args.get(0)).putAttr("T", t);
        if (n.containsAttr("data_format") && !baseOp.equals("MatMul")) b.putAttr("data_format", n.getAttrOrThrow("data_format"));
        out.add(b.build());
        argsUsed = 1;
      }
      case "FusedBatchNorm" -> {
        need(args, 4, n, source);
        NodeDef.Builder b = NodeDef.newBuilder().setName(stepName).setOp("FusedBatchNormV3").addInput(cur)
            .addAllInput(args.subList(0, 4)).putAttr("T", t).putAttr("U", t)
            .putAttr("is_training", AttrValue.newBuilder().setB(false).build())
            .putAttr("epsilon", n.getAttrOrDefault("epsilon", AttrValue.newBuilder().setF(0.001f).build()));
        if (n.containsAttr("data_format")) b.putAttr("data_format", n.getAttrOrThrow("data_format"));
        out.add(b.build());
        argsUsed = 4;
      }
      default -> throw new IllegalArgumentException(
          source + ": node '" + n.getName() + "' (" + n.getOp() + ") fuses " + fused + ", which tfkit cannot expand");
    }
    cur = stepName;
    if (acts.isEmpty()) return;
    if (acts.size() > 1) throw new IllegalArgumentException(source + ": node '" + n.getName() + "' fuses " + fused + ", which tfkit cannot expand");
    String act = acts.get(0);
    switch (act) {
      case "Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "Selu" ->
          out.add(NodeDef.newBuilder().setName(name).setOp(act).addInput(cur).putAttr("T", t).build());
      case "LeakyRelu" -> out.add(NodeDef.newBuilder().setName(name).setOp("LeakyRelu").addInput(cur).putAttr("T", t)
          .putAttr("alpha", n.getAttrOrDefault("leakyrelu_alpha", AttrValue.newBuilder().setF(0.2f).build())).build());
      case "Prelu" -> {
        need(args, argsUsed + 1, n, source);
        prelu(name, cur, args.get(argsUsed), t, List.of(), out, names);
      }
      default -> throw new IllegalArgumentException(source + ": node '" + n.getName() + "' fuses activation '" + act + "', which tfkit cannot expand");
    }
  }

  /** prelu(x) = relu(x) - alpha * relu(-x). */
  private static void prelu(String name, String x, String alpha, AttrValue t, List<String> control, List<NodeDef> out, Set<String> names) {
    String pos = unique(name + "/pos", names);
    String negX = unique(name + "/neg_x", names);
    String negRelu = unique(name + "/neg_relu", names);
    String scaled = unique(name + "/scaled", names);
    out.add(NodeDef.newBuilder().setName(pos).setOp("Relu").addInput(x).addAllInput(control).putAttr("T", t).build());
    out.add(NodeDef.newBuilder().setName(negX).setOp("Neg").addInput(x).putAttr("T", t).build());
    out.add(NodeDef.newBuilder().setName(negRelu).setOp("Relu").addInput(negX).putAttr("T", t).build());
    out.add(NodeDef.newBuilder().setName(scaled).setOp("Mul").addInput(alpha).addInput(negRelu).putAttr("T", t).build());
    out.add(NodeDef.newBuilder().setName(name).setOp("Sub").addInput(pos).addInput(scaled).putAttr("T", t).build());
  }

  private static void copyKnownAttrs(NodeDef from, NodeDef.Builder to, String op) {
    OpDef def = OpRegistry.get(op);
    Set<String> allowed = new HashSet<>();
    for (OpDef.AttrDef a : def.getAttrList()) allowed.add(a.getName());
    for (Map.Entry<String, AttrValue> e : from.getAttrMap().entrySet()) {
      if (allowed.contains(e.getKey())) to.putAttr(e.getKey(), e.getValue());
    }
  }

  private static void need(List<String> args, int n, NodeDef node, String source) {
    if (args.size() < n) {
      throw new IllegalArgumentException(source + ": node '" + node.getName() + "' (" + node.getOp() + ") has " + args.size() + " fused arguments, needs " + n);
    }
  }

  private static String unique(String base, Set<String> names) {
    String s = base;
    for (int i = 1; names.contains(s); i++) s = base + "_" + i;
    names.add(s);
    return s;
  }

  private static List<String> dataInputs(NodeDef n) {
    List<String> l = new ArrayList<>();
    for (String in : n.getInputList()) if (!in.startsWith("^")) l.add(in);
    return l;
  }

  private static List<String> controlInputs(NodeDef n) {
    List<String> l = new ArrayList<>();
    for (String in : n.getInputList()) if (in.startsWith("^")) l.add(in);
    return l;
  }

  private static AttrValue floatType() {
    return AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
  }
}
