package dev.tfkit.graph;

import dev.tfkit.tensor.DataTypes;
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
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The graph rewrites behind {@link ModelGraph}'s surgery methods, as pure functions from GraphDef to
 * GraphDef (no native code): extract, freeze, strip training nodes, cut at internal tensors.
 */
final class GraphSurgery {
  static final Set<String> REF_VARIABLE_OPS = Set.of("Variable", "VariableV2", "AutoReloadVariable");
  static final Set<String> RESOURCE_VARIABLE_OPS = Set.of("VarHandleOp");
  static final Set<String> SAVER_OPS =
      Set.of("SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice",
          "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec");
  /**
   * Ops that write a variable or manage its handle (TF2's saver disables copy-on-read before it
   * reads): dropped (with whatever needs them) when the variable is frozen.
   */
  static final Set<String> VARIABLE_WRITE_OPS =
      Set.of("Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
          "AssignSubVariableOp", "VarIsInitializedOp", "IsVariableInitialized", "DestroyResourceOp", "DisableCopyOnRead",
          "ScatterUpdate", "ScatterAdd", "ScatterSub", "ResourceScatterUpdate", "ResourceScatterAdd");

  private GraphSurgery() {}

  /** The nodes by name, in graph order. */
  static Map<String, NodeDef> index(GraphDef g) {
    Map<String, NodeDef> m = new LinkedHashMap<>();
    for (NodeDef n : g.getNodeList()) m.put(n.getName(), n);
    return m;
  }

  static GraphDef rebuild(GraphDef original, Collection<NodeDef> nodes) {
    return original.toBuilder().clearNode().addAllNode(nodes).build();
  }

  /** The minimal set of nodes the given outputs need, control dependencies included. */
  static GraphDef extract(GraphDef g, Collection<String> outputNodes) {
    Map<String, NodeDef> byName = index(g);
    Set<String> keep = new HashSet<>();
    Deque<String> work = new ArrayDeque<>(outputNodes);
    while (!work.isEmpty()) {
      String n = work.pop();
      if (!keep.add(n)) continue;
      NodeDef def = byName.get(n);
      if (def == null) continue;
      for (String in : def.getInputList()) work.push(TensorName.parse(in).node());
    }
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) if (keep.contains(n.getName())) out.add(n);
    return rebuild(g, out);
  }

  /**
   * Replaces every variable that has a value with a Const of that value (dtype and shape kept),
   * turns resource reads into Identity, ResourceGather into GatherV2 and VariableShape into Shape,
   * and drops variable writes, the saver and what only they needed.
   *
   * @return the frozen graph; variables without a value stay as they are
   */
  static GraphDef freeze(GraphDef g, Map<String, TensorProto> values) {
    Map<String, NodeDef> byName = index(g);
    Set<String> frozenRef = new HashSet<>();
    Set<String> frozenResource = new HashSet<>();
    for (NodeDef n : g.getNodeList()) {
      if (!values.containsKey(n.getName())) continue;
      if (REF_VARIABLE_OPS.contains(n.getOp())) frozenRef.add(n.getName());
      if (RESOURCE_VARIABLE_OPS.contains(n.getOp())) frozenResource.add(n.getName());
    }
    // Resource handles passed to anything other than reads and writes (function calls that were not
    // inlined, control flow such as While) cannot be frozen: those variables stay.
    for (NodeDef n : g.getNodeList()) {
      if (n.getOp().equals("ReadVariableOp") || n.getOp().equals("ResourceGather") || n.getOp().equals("VariableShape")
          || VARIABLE_WRITE_OPS.contains(n.getOp())
          || SAVER_OPS.contains(n.getOp())) continue;
      for (String in : n.getInputList()) {
        TensorName t = TensorName.parse(in);
        if (!t.isControl() && frozenResource.contains(t.node())) frozenResource.remove(t.node());
      }
    }
    Set<String> drop = new HashSet<>();
    for (NodeDef n : g.getNodeList()) {
      if (SAVER_OPS.contains(n.getOp())) drop.add(n.getName());
      if (VARIABLE_WRITE_OPS.contains(n.getOp()) && n.getInputCount() > 0) {
        String target = TensorName.parse(n.getInput(0)).node();
        if (frozenRef.contains(target) || frozenResource.contains(target)) drop.add(n.getName());
      }
    }
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      String name = n.getName();
      if (frozenRef.contains(name) || frozenResource.contains(name)) {
        TensorProto v = values.get(name);
        DataType dt = DataTypes.base(v.getDtype());
        out.add(NodeDef.newBuilder()
            .setName(name)
            .setOp("Const")
            .setDevice(n.getDevice())
            .putAttr("dtype", AttrValue.newBuilder().setType(dt).build())
            .putAttr("value", AttrValue.newBuilder().setTensor(v.toBuilder().setDtype(dt)).build())
            .build());
      } else if (n.getOp().equals("ReadVariableOp") && n.getInputCount() > 0
          && frozenResource.contains(TensorName.parse(n.getInput(0)).node())) {
        NodeDef.Builder b = n.toBuilder().setOp("Identity").clearAttr();
        b.putAttr("T", AttrValue.newBuilder().setType(n.getAttrOrThrow("dtype").getType()).build());
        out.add(b.build());
      } else if (n.getOp().equals("VariableShape") && n.getInputCount() > 0
          && frozenResource.contains(TensorName.parse(n.getInput(0)).node())) {
        DataType dt = DataTypes.base(values.get(TensorName.parse(n.getInput(0)).node()).getDtype());
        out.add(n.toBuilder().setOp("Shape").clearAttr()
            .putAttr("T", AttrValue.newBuilder().setType(dt).build())
            .putAttr("out_type", n.getAttrOrDefault("out_type", AttrValue.newBuilder().setType(DataType.DT_INT32).build()))
            .build());
      } else if (n.getOp().equals("ResourceGather") && n.getInputCount() > 1
          && frozenResource.contains(TensorName.parse(n.getInput(0)).node())) {
        // An embedding lookup on a frozen table: GatherV2 on the constant along axis 0.
        String axis = n.getName() + "/frozen_axis";
        out.add(NodeDef.newBuilder().setName(axis).setOp("Const")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
            .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_INT32).addIntVal(0)).build())
            .build());
        NodeDef.Builder b = n.toBuilder().setOp("GatherV2").clearAttr().clearInput()
            .addInput(n.getInput(0)).addInput(n.getInput(1)).addInput(axis);
        for (int i = 2; i < n.getInputCount(); i++) b.addInput(n.getInput(i));
        b.putAttr("Tparams", AttrValue.newBuilder().setType(n.getAttrOrThrow("dtype").getType()).build());
        b.putAttr("Tindices", n.getAttrOrDefault("Tindices", AttrValue.newBuilder().setType(DataType.DT_INT32).build()));
        b.putAttr("Taxis", AttrValue.newBuilder().setType(DataType.DT_INT32).build());
        b.putAttr("batch_dims", n.getAttrOrDefault("batch_dims", AttrValue.newBuilder().setI(0).build()));
        out.add(b.build());
      } else {
        out.add(n);
      }
    }
    return dropWithDependents(rebuild(g, out), drop, Set.of());
  }


  /**
   * Drops {@code seeds}, every node that reads one of their outputs, NoOps left with only dropped
   * control inputs, and then every ancestor left with no consumer; {@code keep} is never dropped.
   */
  static GraphDef dropWithDependents(GraphDef g, Set<String> seeds, Set<String> keep) {
    if (seeds.isEmpty()) return g;
    Set<String> drop = new HashSet<>();
    Map<String, List<NodeDef>> consumers = new HashMap<>();
    for (NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) consumers.computeIfAbsent(TensorName.parse(in).node(), k -> new ArrayList<>()).add(n);
    }
    Deque<String> work = new ArrayDeque<>(seeds);
    while (!work.isEmpty()) {
      String n = work.pop();
      if (keep.contains(n) || !drop.add(n)) continue;
      for (NodeDef c : consumers.getOrDefault(n, List.of())) {
        if (drop.contains(c.getName())) continue;
        boolean dataDependent = false;
        boolean allDropped = true;
        for (String in : c.getInputList()) {
          TensorName t = TensorName.parse(in);
          if (t.node().equals(n) && !t.isControl()) dataDependent = true;
          if (!drop.contains(t.node())) allDropped = false;
        }
        if (dataDependent || (allDropped && c.getOp().equals("NoOp"))) work.push(c.getName());
      }
    }
    Set<String> lostConsumer = new HashSet<>();
    Map<String, NodeDef> byName = index(g);
    for (String d : drop) {
      for (String in : byName.get(d).getInputList()) lostConsumer.add(TensorName.parse(in).node());
    }
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      if (drop.contains(n.getName())) continue;
      boolean changed = false;
      NodeDef.Builder b = n.toBuilder().clearInput();
      for (String in : n.getInputList()) {
        if (drop.contains(TensorName.parse(in).node())) {
          changed = true; // only control inputs can get here
        } else {
          b.addInput(in);
        }
      }
      out.add(changed ? b.build() : n);
    }
    lostConsumer.removeAll(drop);
    return pruneOrphans(rebuild(g, out), lostConsumer, keep);
  }

  /** Removes nodes in {@code candidates} (and then their inputs) that no node consumes any more. */
  static GraphDef pruneOrphans(GraphDef g, Set<String> candidates, Set<String> keep) {
    if (candidates.isEmpty()) return g;
    Map<String, NodeDef> byName = index(g);
    Map<String, Integer> uses = new HashMap<>();
    for (NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) uses.merge(TensorName.parse(in).node(), 1, Integer::sum);
    }
    Set<String> removed = new HashSet<>();
    Deque<String> work = new ArrayDeque<>(candidates);
    while (!work.isEmpty()) {
      String n = work.pop();
      if (removed.contains(n) || keep.contains(n) || !byName.containsKey(n)) continue;
      if (uses.getOrDefault(n, 0) > 0) continue;
      removed.add(n);
      for (String in : byName.get(n).getInputList()) {
        String src = TensorName.parse(in).node();
        uses.merge(src, -1, Integer::sum);
        work.push(src);
      }
    }
    if (removed.isEmpty()) return g;
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) if (!removed.contains(n.getName())) out.add(n);
    return rebuild(g, out);
  }

  /** Whether an op exists only for training: optimizer updates, summaries, checkpoint save/restore. */
  static boolean isTrainingOp(NodeDef n) {
    String op = n.getOp();
    return op.startsWith("Apply") || op.startsWith("ResourceApply") || op.startsWith("SparseApply")
        || op.startsWith("ResourceSparseApply") || op.endsWith("Summary") || op.endsWith("SummaryV2")
        || SAVER_OPS.contains(op) || n.getName().startsWith("gradients/");
  }

  /**
   * Like {@code graph_util.remove_training_nodes}: drops training-only nodes (and what depends on
   * them), then splices out Identity and CheckNumerics nodes; {@code protect} names stay.
   */
  static GraphDef removeTrainingNodes(GraphDef g, Set<String> protect) {
    Set<String> training = new HashSet<>();
    for (NodeDef n : g.getNodeList()) if (isTrainingOp(n) && !protect.contains(n.getName())) training.add(n.getName());
    g = dropWithDependents(g, training, protect);
    Map<String, NodeDef> byName = index(g);
    Set<String> usedAsControl = new HashSet<>();
    for (NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) if (in.startsWith("^")) usedAsControl.add(in.substring(1));
    }
    Map<String, String> splice = new HashMap<>(); // node -> its data input
    for (NodeDef n : g.getNodeList()) {
      if (!(n.getOp().equals("Identity") || n.getOp().equals("CheckNumerics"))) continue;
      if (protect.contains(n.getName()) || usedAsControl.contains(n.getName())) continue;
      if (n.getInputCount() != 1) continue; // control inputs would be lost
      NodeDef src = byName.get(TensorName.parse(n.getInput(0)).node());
      if (src == null || REF_VARIABLE_OPS.contains(src.getOp()) || src.getOp().endsWith("Switch")) continue;
      splice.put(n.getName(), n.getInput(0));
    }
    if (splice.isEmpty()) return g;
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      if (splice.containsKey(n.getName())) continue;
      NodeDef.Builder b = n.toBuilder().clearInput();
      for (String in : n.getInputList()) b.addInput(resolveSplice(in, splice));
      out.add(b.build());
    }
    return rebuild(g, out);
  }

  private static String resolveSplice(String in, Map<String, String> splice) {
    String cur = in;
    for (int guard = 0; guard < 100_000; guard++) {
      TensorName t = TensorName.parse(cur);
      if (t.isControl() || t.index() != 0 || !splice.containsKey(t.node())) return cur;
      cur = splice.get(t.node());
    }
    return cur;
  }

  /** One tensor to cut at, with the dtype and shape its new Placeholder gets. */
  record Cut(TensorName tensor, DataType dtype, TensorShapeProto shape) {}

  /**
   * Turns each cut tensor into a Placeholder and drops what fed it and nothing else needs. A node
   * whose only used output is the cut tensor is replaced in place (its name stays); otherwise a new
   * Placeholder {@link #cutNodeName} takes over the tensor's consumers.
   */
  static GraphDef cutAt(GraphDef g, List<Cut> cuts) {
    Map<String, NodeDef> byName = index(g);
    Map<String, Set<Integer>> usedOutputs = new HashMap<>();
    for (NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        TensorName t = TensorName.parse(in);
        if (!t.isControl()) usedOutputs.computeIfAbsent(t.node(), k -> new HashSet<>()).add(t.index());
      }
    }
    Map<String, NodeDef> replace = new HashMap<>();
    Map<String, String> rewire = new HashMap<>(); // "node:i" -> new placeholder name
    List<NodeDef> added = new ArrayList<>();
    Set<String> seeds = new HashSet<>();
    Set<String> keep = new HashSet<>();
    for (Cut c : cuts) {
      NodeDef n = byName.get(c.tensor().node());
      NodeDef ph = NodeDef.newBuilder()
          .setOp("Placeholder")
          .putAttr("dtype", AttrValue.newBuilder().setType(DataTypes.base(c.dtype())).build())
          .putAttr("shape", AttrValue.newBuilder().setShape(c.shape()).build())
          .buildPartial();
      if (n.getOp().equals("Placeholder") && c.tensor().index() == 0) {
        keep.add(n.getName());
        continue;
      }
      Set<Integer> used = usedOutputs.getOrDefault(n.getName(), Set.of());
      if (c.tensor().index() == 0 && used.stream().allMatch(i -> i == 0)) {
        replace.put(n.getName(), ph.toBuilder().setName(n.getName()).build());
        for (String in : n.getInputList()) seeds.add(TensorName.parse(in).node());
        keep.add(n.getName());
      } else {
        String name = cutNodeName(c.tensor());
        if (byName.containsKey(name)) throw new IllegalArgumentException("cannot cut at '" + c.tensor() + "': a node '" + name + "' exists already");
        added.add(ph.toBuilder().setName(name).build());
        rewire.put(c.tensor().toString(), name);
        seeds.add(n.getName());
        keep.add(name);
      }
    }
    List<NodeDef> out = new ArrayList<>(added);
    for (NodeDef n : g.getNodeList()) {
      NodeDef r = replace.get(n.getName());
      if (r != null) {
        out.add(r);
        continue;
      }
      boolean changed = false;
      NodeDef.Builder b = n.toBuilder().clearInput();
      for (String in : n.getInputList()) {
        TensorName t = TensorName.parse(in);
        String to = t.isControl() ? null : rewire.get(t.toString());
        if (to != null) {
          b.addInput(to);
          changed = true;
        } else {
          b.addInput(in);
        }
      }
      out.add(changed ? b.build() : n);
    }
    return pruneOrphans(rebuild(g, out), seeds, keep);
  }

  /** The name of the Placeholder that replaces tensor {@code node:i} when the node cannot be replaced in place. */
  static String cutNodeName(TensorName t) {
    return t.node() + "_cut" + t.index();
  }
}
