package dev.tfkit.graph;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GradientDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.RegisteredGradient;

/**
 * Inlines function calls into the GraphDef, the way TensorFlow's own inliner does before
 * {@code convert_variables_to_constants_v2} freezes a TF2 graph: every {@code PartitionedCall},
 * {@code StatefulPartitionedCall} and node whose op is a library function is replaced by the
 * function's body, recursively, so resource handles flow straight into their {@code ReadVariableOp}s.
 *
 * <p>Body nodes are named {@code <call>/<node>}; a node with the call's own name forwards its
 * outputs ({@code Identity} for one, {@code IdentityN} for several, {@code NoOp} for none), so
 * {@code call:0}, {@code call:1} and {@code ^call} keep their meaning. The call's control inputs gate
 * every inlined node that has no data input or reads a function argument; the function's control
 * outputs become control inputs of the forwarding node. Control flow ({@code If}, {@code While},
 * {@code Case} ...) is not a call: those nodes keep their functions, and calls inside their bodies
 * stay calls.
 */
final class FunctionInliner {
  static final Set<String> CALL_OPS = Set.of("PartitionedCall", "StatefulPartitionedCall");
  /** Nested calls deeper than this are treated as runaway recursion. */
  private static final int MAX_DEPTH = 64;

  private final Map<String, FunctionDef> library = new HashMap<>();

  private FunctionInliner(GraphDef g) {
    for (FunctionDef f : g.getLibrary().getFunctionList()) library.put(f.getSignature().getName(), f);
  }

  /**
   * Inlines every function call of {@code g} (recursively) and drops the functions nothing
   * references any more.
   *
   * @throws IllegalArgumentException naming the call node and function when a call cannot be inlined
   */
  static GraphDef inline(GraphDef g) {
    FunctionInliner in = new FunctionInliner(g);
    Set<String> names = new HashSet<>();
    for (NodeDef n : g.getNodeList()) names.add(n.getName());
    Map<String, List<String>> callStack = new HashMap<>(); // inlined node -> the functions it sits in
    List<NodeDef> nodes = new ArrayList<>(g.getNodeList());
    boolean changed = true;
    while (changed) {
      changed = false;
      List<NodeDef> out = new ArrayList<>(nodes.size());
      for (NodeDef n : nodes) {
        String fn = in.calledFunction(n);
        if (fn == null) {
          out.add(n);
          continue;
        }
        List<String> stack = callStack.getOrDefault(n.getName(), List.of());
        if (stack.contains(fn) || stack.size() >= MAX_DEPTH) {
          throw new IllegalArgumentException("cannot inline function '" + fn + "' at node '" + n.getName()
              + "': it calls itself (" + String.join(" -> ", stack) + " -> " + fn + ")");
        }
        List<String> inner = new ArrayList<>(stack);
        inner.add(fn);
        for (NodeDef d : in.inlineCall(n, fn, names)) {
          if (!d.getName().equals(n.getName())) callStack.put(d.getName(), inner);
          out.add(d);
        }
        changed = true;
      }
      nodes = out;
    }
    return pruneLibrary(g.toBuilder().clearNode().addAllNode(nodes).build());
  }

  /** Whether a resource variable in {@code variables} is passed straight into a function call. */
  static boolean variablesFeedCalls(GraphDef g, Collection<String> variables) {
    FunctionInliner in = new FunctionInliner(g);
    if (in.library.isEmpty()) return false;
    Map<String, NodeDef> byName = GraphSurgery.index(g);
    for (NodeDef n : g.getNodeList()) {
      if (in.calledFunction(n) == null) continue;
      for (String s : n.getInputList()) {
        TensorName t = TensorName.parse(s);
        NodeDef src = byName.get(t.node());
        if (!t.isControl() && src != null && variables.contains(src.getName())
            && GraphSurgery.RESOURCE_VARIABLE_OPS.contains(src.getOp())) return true;
      }
    }
    return false;
  }

  /** The library function node {@code n} calls, or null when it is not a call. */
  private String calledFunction(NodeDef n) {
    if (library.containsKey(n.getOp())) return n.getOp();
    if (!CALL_OPS.contains(n.getOp())) return null;
    AttrValue f = n.getAttrOrDefault("f", null);
    if (f == null || !f.hasFunc()) {
      throw new IllegalArgumentException("node '" + n.getName() + "' (" + n.getOp() + ") has no function attr 'f'");
    }
    String name = f.getFunc().getName();
    if (!library.containsKey(name)) {
      throw new IllegalArgumentException("cannot inline node '" + n.getName() + "': it calls function '" + name
          + "', which the graph's function library does not have");
    }
    return name;
  }

  // ---- one call ----

  /** The body of {@code fn} in place of {@code call}, ending with the forwarding node named like the call. */
  private List<NodeDef> inlineCall(NodeDef call, String fn, Set<String> names) {
    FunctionDef f = library.get(fn);
    OpDef sig = f.getSignature();
    String where = "cannot inline function '" + fn + "' at node '" + call.getName() + "': ";
    Map<String, AttrValue> attrs = new HashMap<>();
    for (OpDef.AttrDef a : sig.getAttrList()) if (a.hasDefaultValue()) attrs.put(a.getName(), a.getDefaultValue());
    if (CALL_OPS.contains(call.getOp())) {
      attrs.putAll(call.getAttrOrThrow("f").getFunc().getAttrMap());
    } else {
      attrs.putAll(call.getAttrMap());
    }
    for (OpDef.AttrDef a : sig.getAttrList()) {
      if (!attrs.containsKey(a.getName())) throw new IllegalArgumentException(where + "the call sets no value for its attr '" + a.getName() + "'");
    }

    // Arguments: the call's data inputs, in order; control inputs gate the body.
    List<String> data = new ArrayList<>();
    List<String> control = new ArrayList<>();
    for (String in : call.getInputList()) (in.startsWith("^") ? control : data).add(in);
    Map<String, List<String>> args = new HashMap<>();
    int pos = 0;
    for (OpDef.ArgDef a : sig.getInputArgList()) {
      int len = argTypes(a, attrs, where).size();
      if (pos + len > data.size()) break;
      args.put(a.getName(), List.copyOf(data.subList(pos, pos + len)));
      pos += len;
    }
    int wanted = 0;
    for (OpDef.ArgDef a : sig.getInputArgList()) wanted += argTypes(a, attrs, where).size();
    if (wanted != data.size()) {
      throw new IllegalArgumentException(where + "the call passes " + data.size() + " inputs, the function takes " + wanted);
    }

    Map<String, NodeDef> body = new LinkedHashMap<>();
    for (NodeDef n : f.getNodeDefList()) body.put(n.getName(), n);
    String prefix = uniquePrefix(call.getName(), body.keySet(), names);
    String gate = control.isEmpty() ? null : prefix + "input_control_node";

    // Each body node's output args as ranges of its flat outputs.
    Map<String, NodeDef> substituted = new LinkedHashMap<>();
    Map<String, Map<String, int[]>> outputRanges = new HashMap<>();
    for (NodeDef n : body.values()) {
      NodeDef s = substituteAttrs(n, attrs, where + "body node '" + n.getName() + "': ");
      substituted.put(n.getName(), s);
      outputRanges.put(n.getName(), outputRanges(s, where));
    }
    Resolver r = new Resolver(args, outputRanges, prefix, where);

    List<NodeDef> out = new ArrayList<>();
    if (gate != null) {
      out.add(NodeDef.newBuilder().setName(gate).setOp("NoOp").addAllInput(control).build());
      names.add(gate);
    }
    for (NodeDef n : substituted.values()) {
      NodeDef.Builder b = n.toBuilder().setName(prefix + n.getName()).clearInput().clearDevice();
      boolean hasData = false;
      boolean readsArg = false;
      for (String in : n.getInputList()) {
        if (in.startsWith("^")) {
          String c = in.substring(1);
          if (body.containsKey(c)) {
            b.addInput("^" + prefix + c);
          } else if (args.containsKey(c)) {
            for (String t : args.get(c)) b.addInput("^" + TensorName.parse(t).node());
            readsArg = true;
          } else {
            throw new IllegalArgumentException(where + "body node '" + n.getName() + "' has a control input '" + in
                + "' that is neither a node nor an argument of the function");
          }
        } else {
          hasData = true;
          readsArg |= r.isArg(in);
          for (String t : r.resolve(in, n.getName())) b.addInput(t);
        }
      }
      if (gate != null && (!hasData || readsArg)) b.addInput("^" + gate);
      fixColocation(b, body.keySet(), prefix);
      out.add(b.build());
      names.add(b.getName());
    }

    // The node that keeps the call's name: its outputs, then the function's control outputs.
    List<String> results = new ArrayList<>();
    List<DataType> types = new ArrayList<>();
    for (OpDef.ArgDef a : sig.getOutputArgList()) {
      List<DataType> ts = argTypes(a, attrs, where);
      String ret = f.getRetMap().get(a.getName());
      if (ret == null) throw new IllegalArgumentException(where + "output '" + a.getName() + "' has no ret entry");
      List<String> ten = r.resolve(ret, "ret " + a.getName());
      if (ten.size() != ts.size()) {
        throw new IllegalArgumentException(where + "output '" + a.getName() + "' has " + ts.size() + " tensors, ret '" + ret + "' gives " + ten.size());
      }
      results.addAll(ten);
      types.addAll(ts);
    }
    NodeDef.Builder fwd = NodeDef.newBuilder().setName(call.getName()).addAllInput(results);
    if (results.isEmpty()) {
      fwd.setOp("NoOp");
    } else if (results.size() == 1) {
      fwd.setOp("Identity").putAttr("T", AttrValue.newBuilder().setType(types.get(0)).build());
    } else {
      fwd.setOp("IdentityN").putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addAllType(types)).build());
    }
    for (String c : f.getControlRetMap().values()) {
      if (!body.containsKey(c)) throw new IllegalArgumentException(where + "control output '" + c + "' is not a node of the function");
      fwd.addInput("^" + prefix + c);
    }
    if (gate != null) fwd.addInput("^" + gate);
    out.add(fwd.build());
    return out;
  }

  /** Maps body references ({@code arg}, {@code arg:i}, {@code node:out}, {@code node:out:i}) to GraphDef tensors. */
  private static final class Resolver {
    private final Map<String, List<String>> args;
    private final Map<String, Map<String, int[]>> outputs;
    private final String prefix;
    private final String where;

    Resolver(Map<String, List<String>> args, Map<String, Map<String, int[]>> outputs, String prefix, String where) {
      this.args = args;
      this.outputs = outputs;
      this.prefix = prefix;
      this.where = where;
    }

    boolean isArg(String ref) {
      return args.containsKey(ref.split(":", -1)[0]);
    }

    List<String> resolve(String ref, String user) {
      String[] p = ref.split(":", -1);
      try {
        if (args.containsKey(p[0])) {
          List<String> a = args.get(p[0]);
          if (p.length == 1) return a;
          if (p.length == 2) return List.of(a.get(Integer.parseInt(p[1])));
        } else if (outputs.containsKey(p[0]) && (p.length == 2 || p.length == 3)) {
          int[] range = outputs.get(p[0]).get(p[1]);
          if (range != null) {
            String node = prefix + p[0];
            if (p.length == 3) {
              int i = Integer.parseInt(p[2]);
              if (i < 0 || i >= range[1]) throw new IndexOutOfBoundsException();
              return List.of(new TensorName(node, range[0] + i).asInput());
            }
            List<String> l = new ArrayList<>();
            for (int i = 0; i < range[1]; i++) l.add(new TensorName(node, range[0] + i).asInput());
            return l;
          }
        }
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        // falls through to the error below
      }
      throw new IllegalArgumentException(where + "'" + user + "' reads '" + ref + "', which is no argument or node output of the function");
    }
  }

  /** For each output arg of the node's op (a registered op or a library function): {start, length}. */
  private Map<String, int[]> outputRanges(NodeDef n, String where) {
    OpDef op;
    FunctionDef fn = library.get(n.getOp());
    if (fn != null) {
      op = fn.getSignature();
    } else {
      op = OpRegistry.get(n.getOp());
      if (op == null) throw new IllegalArgumentException(where + "body node '" + n.getName() + "' uses op " + n.getOp() + ", unknown to the TensorFlow runtime");
    }
    Map<String, AttrValue> attrs = new HashMap<>();
    for (OpDef.AttrDef a : op.getAttrList()) if (a.hasDefaultValue()) attrs.put(a.getName(), a.getDefaultValue());
    attrs.putAll(n.getAttrMap());
    Map<String, int[]> ranges = new HashMap<>();
    int start = 0;
    for (OpDef.ArgDef a : op.getOutputArgList()) {
      int len = argTypes(a, attrs, where + "body node '" + n.getName() + "' (" + n.getOp() + "): ").size();
      ranges.put(a.getName(), new int[] {start, len});
      start += len;
    }
    return ranges;
  }

  /** The dtypes an input or output arg stands for, given the attr values. */
  private static List<DataType> argTypes(OpDef.ArgDef a, Map<String, AttrValue> attrs, String where) {
    if (!a.getTypeListAttr().isEmpty()) return attr(attrs, a.getTypeListAttr(), where).getList().getTypeList();
    DataType t = a.getTypeAttr().isEmpty() ? a.getType() : attr(attrs, a.getTypeAttr(), where).getType();
    if (a.getNumberAttr().isEmpty()) return List.of(t);
    long n = attr(attrs, a.getNumberAttr(), where).getI();
    List<DataType> l = new ArrayList<>();
    for (long i = 0; i < n; i++) l.add(t);
    return l;
  }

  private static AttrValue attr(Map<String, AttrValue> attrs, String name, String where) {
    AttrValue v = attrs.get(name);
    if (v == null) throw new IllegalArgumentException(where + "attr '" + name + "' has no value");
    return v;
  }

  /** Replaces {@code placeholder} attr values (also inside function-valued attrs) with the call's values. */
  private static NodeDef substituteAttrs(NodeDef n, Map<String, AttrValue> values, String where) {
    NodeDef.Builder b = null;
    for (Map.Entry<String, AttrValue> e : n.getAttrMap().entrySet()) {
      AttrValue s = substitute(e.getValue(), values, where);
      if (s != e.getValue()) {
        if (b == null) b = n.toBuilder();
        b.putAttr(e.getKey(), s);
      }
    }
    return b == null ? n : b.build();
  }

  private static AttrValue substitute(AttrValue v, Map<String, AttrValue> values, String where) {
    if (v.hasPlaceholder()) {
      AttrValue s = values.get(v.getPlaceholder());
      if (s == null) throw new IllegalArgumentException(where + "attr placeholder '" + v.getPlaceholder() + "' has no value in the call");
      return s;
    }
    if (v.hasFunc()) {
      NameAttrList f = substitute(v.getFunc(), values, where);
      return f == v.getFunc() ? v : v.toBuilder().setFunc(f).build();
    }
    if (v.hasList() && v.getList().getFuncCount() > 0) {
      AttrValue.ListValue.Builder l = v.getList().toBuilder().clearFunc();
      for (NameAttrList f : v.getList().getFuncList()) l.addFunc(substitute(f, values, where));
      return v.toBuilder().setList(l).build();
    }
    return v;
  }

  private static NameAttrList substitute(NameAttrList f, Map<String, AttrValue> values, String where) {
    NameAttrList.Builder b = null;
    for (Map.Entry<String, AttrValue> e : f.getAttrMap().entrySet()) {
      AttrValue s = substitute(e.getValue(), values, where);
      if (s != e.getValue()) {
        if (b == null) b = f.toBuilder();
        b.putAttr(e.getKey(), s);
      }
    }
    return b == null ? f : b.build();
  }

  /** {@code call/}, or {@code call/inlined_N/} when a body name would clash with a node the graph has. */
  private static String uniquePrefix(String call, Set<String> bodyNames, Set<String> names) {
    for (int k = 0; ; k++) {
      String p = k == 0 ? call + "/" : call + "/inlined_" + k + "/";
      boolean clash = names.contains(p + "input_control_node");
      for (String b : bodyNames) clash |= names.contains(p + b);
      if (!clash) return p;
    }
  }

  /** Colocation ({@code _class: loc:@node}) follows renamed body nodes; constraints on anything else are dropped. */
  private static void fixColocation(NodeDef.Builder b, Set<String> body, String prefix) {
    AttrValue cls = b.getAttrOrDefault("_class", null);
    if (cls == null || !cls.hasList()) return;
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (ByteString s : cls.getList().getSList()) {
      String v = s.toStringUtf8();
      if (!v.startsWith("loc:@")) {
        l.addS(s);
      } else if (body.contains(v.substring(5))) {
        l.addS(ByteString.copyFromUtf8("loc:@" + prefix + v.substring(5)));
      }
    }
    if (l.getSCount() == 0) {
      b.removeAttr("_class");
    } else {
      b.putAttr("_class", AttrValue.newBuilder().setList(l).build());
    }
  }

  // ---- library ----

  /**
   * Keeps only the functions the graph still references (by op name or function-valued attr,
   * transitively through function bodies), with their gradients.
   */
  static GraphDef pruneLibrary(GraphDef g) {
    FunctionDefLibrary lib = g.getLibrary();
    if (lib.getFunctionCount() == 0) return g;
    Map<String, FunctionDef> byName = new HashMap<>();
    for (FunctionDef f : lib.getFunctionList()) byName.put(f.getSignature().getName(), f);
    Map<String, String> gradientOf = new HashMap<>();
    for (GradientDef gd : lib.getGradientList()) gradientOf.put(gd.getFunctionName(), gd.getGradientFunc());
    Set<String> reached = new HashSet<>();
    Deque<String> work = new ArrayDeque<>();
    for (NodeDef n : g.getNodeList()) referenced(n, byName, work);
    while (!work.isEmpty()) {
      String name = work.pop();
      if (!reached.add(name)) continue;
      FunctionDef f = byName.get(name);
      if (f == null) continue;
      for (NodeDef n : f.getNodeDefList()) referenced(n, byName, work);
      for (AttrValue v : f.getAttrMap().values()) functionsIn(v, work);
      String grad = gradientOf.get(name);
      if (grad != null) work.push(grad);
    }
    FunctionDefLibrary.Builder b = FunctionDefLibrary.newBuilder();
    for (FunctionDef f : lib.getFunctionList()) if (reached.contains(f.getSignature().getName())) b.addFunction(f);
    for (GradientDef gd : lib.getGradientList()) if (reached.contains(gd.getFunctionName())) b.addGradient(gd);
    for (RegisteredGradient rg : lib.getRegisteredGradientsList()) if (reached.contains(rg.getGradientFunc())) b.addRegisteredGradients(rg);
    FunctionDefLibrary pruned = b.build();
    return pruned.equals(lib) ? g : g.toBuilder().setLibrary(pruned).build();
  }

  private static void referenced(NodeDef n, Map<String, FunctionDef> byName, Deque<String> work) {
    if (byName.containsKey(n.getOp())) work.push(n.getOp());
    for (AttrValue v : n.getAttrMap().values()) functionsIn(v, work);
  }

  private static void functionsIn(AttrValue v, Deque<String> work) {
    if (v.hasFunc()) functionsIn(v.getFunc(), work);
    if (v.hasList()) for (NameAttrList f : v.getList().getFuncList()) functionsIn(f, work);
  }

  private static void functionsIn(NameAttrList f, Deque<String> work) {
    work.push(f.getName());
    for (AttrValue v : f.getAttrMap().values()) functionsIn(v, work);
  }
}
