package dev.tfkit.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Fills the attributes the runtime's op definitions require but a converter left out (the TF.js
 * converter drops {@code TArgs} of {@code _FusedConv2D}, older ones drop {@code N}, {@code T} or
 * {@code Tidx}), generically from the op registry: an attr with a default gets the default; a
 * {@code type} attr gets the dtype of the input that the op definition types with it; a {@code
 * list(type)} attr the dtypes of its inputs; a number attr the count of its inputs. What cannot be
 * inferred is refused here, naming the node, instead of by TensorFlow's "NodeDef missing attr".
 */
final class RequiredAttrs {
  private RequiredAttrs() {}

  /** {@code g} with every inferable missing attr filled; nodes whose op the runtime does not know stay as they are. */
  static GraphDef fill(GraphDef g, String source) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) index.put(g.getNode(i).getName(), i);
    Filler f = new Filler(g, index, source);
    // Inputs first (iteratively), so that filling a node never recurses deep into its ancestors.
    for (String name : inputsFirst(g, index)) f.filled(name);
    List<NodeDef> out = new ArrayList<>(g.getNodeCount());
    boolean changed = false;
    for (NodeDef n : g.getNodeList()) {
      NodeDef done = f.filled(n.getName());
      changed |= done != n;
      out.add(done);
    }
    return changed ? GraphSurgery.rebuild(g, out) : g;
  }

  /** Node names, each after its inputs (a depth-first post-order; back edges of loops are cut). */
  private static List<String> inputsFirst(GraphDef g, Map<String, Integer> index) {
    List<String> order = new ArrayList<>(g.getNodeCount());
    Set<String> seen = new HashSet<>();
    ArrayDeque<Object[]> stack = new ArrayDeque<>();
    for (NodeDef root : g.getNodeList()) {
      if (!seen.add(root.getName())) continue;
      stack.push(new Object[] {root, 0});
      while (!stack.isEmpty()) {
        Object[] top = stack.peek();
        NodeDef n = (NodeDef) top[0];
        int i = (Integer) top[1];
        if (i < n.getInputCount()) {
          top[1] = i + 1;
          String in = TensorName.parse(n.getInput(i)).node();
          Integer at = index.get(in);
          if (at != null && seen.add(in)) stack.push(new Object[] {g.getNode(at), 0});
        } else {
          stack.pop();
          order.add(n.getName());
        }
      }
    }
    return order;
  }

  private static final class Filler {
    private final GraphDef graph;
    private final Map<String, Integer> index;
    private final String source;
    private final Map<String, NodeDef> done = new HashMap<>();
    private final Map<String, List<DataType>> outputTypes = new HashMap<>();
    private final Set<String> visiting = new HashSet<>();

    Filler(GraphDef graph, Map<String, Integer> index, String source) {
      this.graph = graph;
      this.index = index;
      this.source = source;
    }

    NodeDef filled(String name) {
      NodeDef d = done.get(name);
      if (d != null) return d;
      NodeDef n = graph.getNode(index.get(name));
      OpDef def = OpRegistry.get(n.getOp());
      if (def == null || !visiting.add(name)) return n; // unknown op (the validator reports it) or a loop back edge
      try {
        d = fill(n, def);
      } finally {
        visiting.remove(name);
      }
      done.put(name, d);
      return d;
    }

    private NodeDef fill(NodeDef n, OpDef def) {
      List<String> missing = new ArrayList<>();
      for (OpDef.AttrDef a : def.getAttrList()) if (!n.containsAttr(a.getName())) missing.add(a.getName());
      if (missing.isEmpty()) return n;
      NodeDef.Builder b = n.toBuilder();
      // Number and list lengths first: they say which inputs belong to which argument.
      Map<String, AttrValue> known = new LinkedHashMap<>(n.getAttrMap());
      for (OpDef.AttrDef a : def.getAttrList()) {
        if (!known.containsKey(a.getName()) && a.hasDefaultValue() && !isInferredFromInputs(def, a.getName())) {
          known.put(a.getName(), a.getDefaultValue());
        }
      }
      List<List<String>> argInputs = splitInputs(n, def, known);
      for (int i = 0; i < def.getInputArgCount(); i++) {
        OpDef.ArgDef arg = def.getInputArg(i);
        List<String> ins = argInputs == null ? null : argInputs.get(i);
        if (!arg.getNumberAttr().isEmpty() && !known.containsKey(arg.getNumberAttr()) && ins != null) {
          known.put(arg.getNumberAttr(), AttrValue.newBuilder().setI(ins.size()).build());
        }
        if (!arg.getTypeAttr().isEmpty() && !known.containsKey(arg.getTypeAttr()) && ins != null && !ins.isEmpty()) {
          DataType t = dtypeOf(ins.get(0));
          if (t != null) known.put(arg.getTypeAttr(), AttrValue.newBuilder().setType(t).build());
        }
        if (!arg.getTypeListAttr().isEmpty() && !known.containsKey(arg.getTypeListAttr()) && ins != null) {
          AttrValue.ListValue.Builder types = AttrValue.ListValue.newBuilder();
          boolean all = true;
          for (String in : ins) {
            DataType t = dtypeOf(in);
            if (t == null) {
              all = false;
              break;
            }
            types.addType(t);
          }
          if (all) known.put(arg.getTypeListAttr(), AttrValue.newBuilder().setList(types).build());
        }
      }
      for (OpDef.AttrDef a : def.getAttrList()) { // inferred from inputs where possible, else the default
        if (!known.containsKey(a.getName()) && a.hasDefaultValue()) known.put(a.getName(), a.getDefaultValue());
      }
      for (String name : missing) {
        AttrValue v = known.get(name);
        if (v == null) {
          throw new IllegalArgumentException(source + ": node '" + n.getName() + "' (" + n.getOp() + ") lacks attr '" + name
              + "', which TensorFlow's op definition requires and which cannot be inferred from its inputs");
        }
        b.putAttr(name, v);
      }
      return b.build();
    }

    /**
     * The node's data inputs grouped by the op's input arguments, or null when their lengths are not
     * all known: fixed arguments take one input each; at most one argument of unknown length takes
     * the rest.
     */
    private static List<List<String>> splitInputs(NodeDef n, OpDef def, Map<String, AttrValue> known) {
      List<String> data = new ArrayList<>();
      for (String in : n.getInputList()) if (!in.startsWith("^")) data.add(in);
      int args = def.getInputArgCount();
      int[] len = new int[args];
      int unknown = -1;
      int fixed = 0;
      for (int i = 0; i < args; i++) {
        OpDef.ArgDef a = def.getInputArg(i);
        int l;
        if (!a.getNumberAttr().isEmpty()) {
          AttrValue v = known.get(a.getNumberAttr());
          l = v == null ? -1 : (int) v.getI();
        } else if (!a.getTypeListAttr().isEmpty()) {
          AttrValue v = known.get(a.getTypeListAttr());
          l = v == null ? -1 : v.getList().getTypeCount();
        } else {
          l = 1;
        }
        if (l < 0) {
          if (unknown >= 0) return null;
          unknown = i;
        } else {
          fixed += l;
        }
        len[i] = l;
      }
      if (unknown >= 0) {
        len[unknown] = data.size() - fixed;
        if (len[unknown] < 0) return null;
      } else if (fixed != data.size()) {
        return null;
      }
      List<List<String>> out = new ArrayList<>();
      int at = 0;
      for (int l : len) {
        out.add(data.subList(at, at + l));
        at += l;
      }
      return out;
    }

    /** Whether an input argument's length or dtype comes from this attr (then inputs beat its default). */
    private static boolean isInferredFromInputs(OpDef def, String attr) {
      for (OpDef.ArgDef a : def.getInputArgList()) {
        if (attr.equals(a.getTypeAttr()) || attr.equals(a.getTypeListAttr())) return true;
      }
      return false;
    }

    /** The dtype of tensor {@code input} ("node", "node:2"), or null when unknown. */
    private DataType dtypeOf(String input) {
      TensorName t = TensorName.parse(input);
      if (!index.containsKey(t.node())) return null;
      List<DataType> types = outputTypes.computeIfAbsent(t.node(), this::outputTypesOf);
      return t.index() < types.size() ? types.get(t.index()) : null;
    }

    private List<DataType> outputTypesOf(String node) {
      NodeDef n = filled(node);
      OpDef def = OpRegistry.get(n.getOp());
      List<DataType> out = new ArrayList<>();
      if (def == null) return out;
      for (OpDef.ArgDef a : def.getOutputArgList()) {
        List<DataType> one = new ArrayList<>();
        if (!a.getTypeListAttr().isEmpty()) {
          AttrValue v = n.getAttrMap().get(a.getTypeListAttr());
          if (v == null) return out;
          one.addAll(v.getList().getTypeList());
        } else {
          DataType t = a.getType();
          if (!a.getTypeAttr().isEmpty()) {
            AttrValue v = n.getAttrMap().get(a.getTypeAttr());
            if (v == null) return out;
            t = v.getType();
          }
          int count = 1;
          if (!a.getNumberAttr().isEmpty()) {
            AttrValue v = n.getAttrMap().get(a.getNumberAttr());
            if (v == null) return out;
            count = (int) v.getI();
          }
          for (int i = 0; i < count; i++) one.add(t);
        }
        out.addAll(one);
      }
      return out;
    }
  }
}
