package dev.tfkit.graph;

import dev.tfkit.io.AtomicFiles;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.tensor.TfTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A loaded TensorFlow model as a graph you can inspect and cut: the GraphDef, the variable values
 * restored from its checkpoint, its signatures, and where it came from.
 *
 * <p>Load any format with {@link #load(Path)}; each surgery step ({@link #freeze()}, {@link
 * #inlineFunctions()}, {@link #extractSubGraph}, {@link #removeTrainingNodes}, {@link #cutAt},
 * {@link #splice}) returns a new ModelGraph and leaves this one unchanged. The value itself is
 * immutable; the TensorFlow graph and session it creates on demand (for shapes and {@link #run})
 * are native resources released by {@link #close()}.
 */
public final class ModelGraph implements AutoCloseable {
  private final GraphDef graphDef;
  private final Map<String, TensorProto> variables;
  private final Map<String, SignatureDef> signatures;
  private final Set<String> tags;
  private final List<String> assets;
  private final Path source;
  private final ModelFormat format;

  private Graph nativeGraph;
  private Session session;
  private ModelGraph frozenForRun;
  private boolean closed;

  ModelGraph(GraphDef graphDef, Map<String, TensorProto> variables, Map<String, SignatureDef> signatures,
      Set<String> tags, List<String> assets, Path source, ModelFormat format) {
    this.graphDef = graphDef;
    this.variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
    this.signatures = Collections.unmodifiableMap(new LinkedHashMap<>(signatures));
    this.tags = Set.copyOf(tags);
    this.assets = List.copyOf(assets);
    this.source = source;
    this.format = format;
  }

  /**
   * Loads a model, detecting its format: a frozen GraphDef ({@code .pb}, {@code .pbtxt}), a TF1
   * checkpoint ({@code .meta}, a prefix, or a folder with one), a SavedModel folder, or a TF.js
   * graph model ({@code model.json}). For a SavedModel, {@code tags} picks the meta graph (default:
   * the one tagged {@code serve}).
   *
   * @throws IllegalArgumentException naming the file (and node) when the bytes are not a usable model
   */
  public static ModelGraph load(Path path, String... tags) {
    return ModelLoader.load(path, tags);
  }

  /** {@link #load(Path, String...)} for a path string. */
  public static ModelGraph load(String path, String... tags) {
    return load(Path.of(path), tags);
  }

  /** A graph built in memory (validated like a loaded one). */
  public static ModelGraph of(GraphDef graph) {
    return of(graph, Map.of());
  }

  /** A graph built in memory with values for its variables (keyed by variable node name). */
  public static ModelGraph of(GraphDef graph, Map<String, TensorProto> variableValues) {
    GraphValidator.validate(graph, "graph");
    return new ModelGraph(graph, variableValues, Map.of(), Set.of(), List.of(), null, ModelFormat.IN_MEMORY);
  }

  // ---- accessors ----

  /** The GraphDef (for a SavedModel or checkpoint: the meta graph's graph). */
  public GraphDef graphDef() {
    return graphDef;
  }

  /** Restored variable values by variable node name (empty for frozen graphs). */
  public Map<String, TensorProto> variables() {
    return variables;
  }

  /** Signatures by key (SavedModels, checkpoints with signatures, TF.js models that declare one). */
  public Map<String, SignatureDef> signatures() {
    return signatures;
  }

  /** The SavedModel meta graph's tags (empty for other formats). */
  public Set<String> tags() {
    return tags;
  }

  /** Asset file names of a SavedModel. */
  public List<String> assets() {
    return assets;
  }

  /** The file or folder this graph was loaded from, or null when built in memory. */
  public Path source() {
    return source;
  }

  /** The format it was loaded from. */
  public ModelFormat format() {
    return format;
  }

  // ---- inspect ----

  /** The node called {@code name} ({@code name:0} and {@code ^name} accepted). */
  public NodeDef node(String name) {
    String n = TensorName.parse(name).node();
    for (NodeDef d : graphDef.getNodeList()) if (d.getName().equals(n)) return d;
    throw new IllegalArgumentException(NameSuggestions.notFound("node", n, nodeNames()));
  }

  /** Every node name, in graph order. */
  public List<String> nodeNames() {
    List<String> l = new ArrayList<>(graphDef.getNodeCount());
    for (NodeDef d : graphDef.getNodeList()) l.add(d.getName());
    return l;
  }

  /** Nodes whose name or op matches {@code regex} anywhere (like {@code grep}). */
  public List<NodeDef> find(String regex) {
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("bad regular expression '" + regex + "': " + e.getDescription());
    }
    List<NodeDef> out = new ArrayList<>();
    for (NodeDef d : graphDef.getNodeList()) {
      if (p.matcher(d.getName()).find() || p.matcher(d.getOp()).find()) out.add(d);
    }
    return out;
  }

  /** Placeholder nodes: the graph's likely inputs. */
  public List<String> likelyInputs() {
    List<String> l = new ArrayList<>();
    for (NodeDef d : graphDef.getNodeList()) if (d.getOp().equals("Placeholder") || d.getOp().equals("PlaceholderWithDefault")) l.add(d.getName());
    return l;
  }

  /** Nodes nothing consumes, leaving out NoOps, saver, variable and initializer plumbing: the likely outputs. */
  public List<String> likelyOutputs() {
    Set<String> consumed = new HashSet<>();
    for (NodeDef d : graphDef.getNodeList()) {
      for (String in : d.getInputList()) consumed.add(TensorName.parse(in).node());
    }
    List<String> l = new ArrayList<>();
    for (NodeDef d : graphDef.getNodeList()) {
      String op = d.getOp();
      if (consumed.contains(d.getName()) || op.equals("NoOp") || op.equals("Const") || op.equals("Placeholder")
          || GraphSurgery.SAVER_OPS.contains(op) || GraphSurgery.VARIABLE_WRITE_OPS.contains(op)
          || GraphSurgery.REF_VARIABLE_OPS.contains(op) || GraphSurgery.RESOURCE_VARIABLE_OPS.contains(op)
          || d.getName().startsWith("save/") || d.getName().startsWith("tfkit_read/")) continue;
      l.add(d.getName());
    }
    return l;
  }

  /** Node count, op histogram, constant and variable bytes, likely inputs and outputs. */
  public GraphSummary summary() {
    Map<String, Integer> ops = new HashMap<>();
    long constBytes = 0;
    int varCount = 0;
    for (NodeDef d : graphDef.getNodeList()) {
      ops.merge(d.getOp(), 1, Integer::sum);
      constBytes += constBytes(d);
      if (GraphSurgery.REF_VARIABLE_OPS.contains(d.getOp()) || GraphSurgery.RESOURCE_VARIABLE_OPS.contains(d.getOp())) varCount++;
    }
    long varBytes = 0;
    for (TensorProto t : variables.values()) varBytes += TfTensors.protoBytes(t);
    Map<String, Integer> sorted = new LinkedHashMap<>();
    ops.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return new GraphSummary(graphDef.getNodeCount(), Collections.unmodifiableMap(sorted), constBytes, varBytes, varCount,
        likelyInputs(), likelyOutputs());
  }

  private static long constBytes(NodeDef d) {
    if (!d.getOp().equals("Const")) return 0;
    AttrValue v = d.getAttrOrDefault("value", null);
    return v == null || !v.hasTensor() ? 0 : TfTensors.protoBytes(v.getTensor());
  }

  /**
   * One row per node: name, op, inputs, output dtypes and shapes (as the runtime infers them), and
   * constant bytes; a Tablesaw table to sort, filter and print.
   */
  public Table table() {
    StringColumn name = StringColumn.create("name");
    StringColumn op = StringColumn.create("op");
    StringColumn inputs = StringColumn.create("inputs");
    StringColumn dtypes = StringColumn.create("dtypes");
    StringColumn shapes = StringColumn.create("shapes");
    LongColumn bytes = LongColumn.create("const_bytes");
    Graph g = nativeGraph();
    for (NodeDef d : graphDef.getNodeList()) {
      name.append(d.getName());
      op.append(d.getOp());
      inputs.append(String.join(", ", d.getInputList()));
      GraphOperation o = g.operation(d.getName());
      List<String> dt = new ArrayList<>();
      List<String> sh = new ArrayList<>();
      if (o != null) {
        for (int i = 0; i < o.numOutputs(); i++) {
          Output<?> out = o.output(i);
          dt.add(out.dataType().name().replace("DT_", "").toLowerCase());
          sh.add(spec(out).shapeString());
        }
      }
      dtypes.append(String.join(", ", dt));
      shapes.append(String.join(", ", sh));
      bytes.append(constBytes(d) + (variables.containsKey(d.getName()) ? TfTensors.protoBytes(variables.get(d.getName())) : 0));
    }
    return Table.create(source == null ? "graph" : source.getFileName().toString(), name, op, inputs, dtypes, shapes, bytes);
  }

  /** The dtype and static shape of tensor {@code node:i} (unknown node → error with suggestions). */
  public TensorSpec spec(String tensor) {
    TensorName t = TensorName.parse(tensor);
    node(t.node()); // the error with suggestions
    GraphOperation o = nativeGraph().operation(t.node());
    if (t.index() < 0 || t.index() >= o.numOutputs()) {
      throw new IllegalArgumentException("node '" + t.node() + "' (" + o.type() + ") has " + o.numOutputs() + " outputs; there is no output " + t.index());
    }
    return spec(o.output(t.index()));
  }

  private static TensorSpec spec(Output<?> out) {
    Shape s = out.shape();
    long[] dims = s.isUnknown() ? null : s.asArray();
    return new TensorSpec(out.op().name() + ":" + out.index(), DataTypes.base(out.dataType()), dims);
  }

  // ---- surgery ----

  /**
   * Like {@code graph_util.convert_variables_to_constants} (and {@code _v2}): every variable with a
   * restored value (ref Variable/VariableV2 and resource VarHandleOp) becomes a Const of the same
   * dtype and shape, resource reads become Identity, and variable writes plus the saver are dropped.
   * When resource variables are passed into function calls (TF2 SavedModels), the calls are
   * inlined first ({@link #inlineFunctions()}), so those variables freeze too; variables used
   * inside control-flow bodies ({@code If}, {@code While}) stay variables. Functions nothing
   * references any more are dropped from the library.
   */
  public ModelGraph freeze() {
    if (variables.isEmpty()) return derive(FunctionInliner.pruneLibrary(dropSaver(graphDef)), Map.of());
    GraphDef g = FunctionInliner.variablesFeedCalls(graphDef, variables.keySet()) ? FunctionInliner.inline(graphDef) : graphDef;
    GraphDef frozen = FunctionInliner.pruneLibrary(GraphSurgery.freeze(g, variables));
    Map<String, TensorProto> left = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    for (NodeDef d : frozen.getNodeList()) if (!d.getOp().equals("Const")) names.add(d.getName());
    variables.forEach((k, v) -> {
      if (names.contains(k)) left.put(k, v);
    });
    return derive(frozen, left);
  }

  /**
   * Inlines every function call ({@code PartitionedCall}, {@code StatefulPartitionedCall}, and
   * nodes whose op is a library function), recursively, the way TensorFlow does before
   * {@code convert_variables_to_constants_v2}: body nodes are named {@code <call>/<node>}, and a node
   * with the call's own name forwards its outputs, so {@code call:0} and {@code call:1} still
   * resolve. Control flow ({@code If}, {@code While}, {@code Case}) keeps its functions. Functions
   * nothing references any more are dropped from the library.
   *
   * @throws IllegalArgumentException naming the call node and function when a call cannot be inlined
   */
  public ModelGraph inlineFunctions() {
    return derive(FunctionInliner.inline(graphDef), variables);
  }

  private static GraphDef dropSaver(GraphDef g) {
    Set<String> saver = new HashSet<>();
    for (NodeDef d : g.getNodeList()) if (GraphSurgery.SAVER_OPS.contains(d.getOp())) saver.add(d.getName());
    return GraphSurgery.dropWithDependents(g, saver, Set.of());
  }

  /**
   * The minimal subgraph that computes {@code outputs} (node or tensor names), control
   * dependencies included.
   */
  public ModelGraph extractSubGraph(String... outputs) {
    if (outputs.length == 0) throw new IllegalArgumentException("extractSubGraph needs at least one output");
    List<String> nodes = new ArrayList<>();
    for (String o : outputs) nodes.add(node(o).getName());
    return derive(GraphSurgery.extract(graphDef, nodes), variables);
  }

  /**
   * Like {@code graph_util.remove_training_nodes}: drops training-only nodes (optimizer updates,
   * gradients, summaries, saver) and splices out Identity and CheckNumerics; nodes named in
   * {@code protect} (and signature tensors) are kept.
   */
  public ModelGraph removeTrainingNodes(String... protect) {
    Set<String> keep = new HashSet<>();
    for (String p : protect) keep.add(node(p).getName());
    for (SignatureDef s : signatures.values()) {
      for (TensorInfo ti : s.getInputsMap().values()) keep.add(TensorName.parse(ti.getName()).node());
      for (TensorInfo ti : s.getOutputsMap().values()) keep.add(TensorName.parse(ti.getName()).node());
    }
    return derive(GraphSurgery.removeTrainingNodes(graphDef, keep), variables);
  }

  /**
   * Cuts the graph at internal tensors: each named tensor ({@code node:i}) becomes a Placeholder of
   * its dtype and shape, and whatever only fed it is dropped (Graph Transform's
   * strip_unused_nodes). The new input is named as {@link #cutTensorName} says.
   */
  public ModelGraph cutAt(String... tensors) {
    List<GraphSurgery.Cut> cuts = new ArrayList<>();
    for (String t : tensors) {
      TensorSpec s = spec(t);
      cuts.add(new GraphSurgery.Cut(TensorName.parse(t), s.dtype(), s.shapeProto()));
    }
    return derive(GraphSurgery.cutAt(graphDef, cuts), variables);
  }

  /** Same as {@link #cutAt}: the named internal tensors become the graph's inputs. */
  public ModelGraph inputs(String... tensors) {
    return cutAt(tensors);
  }

  /**
   * The tensor that stands for {@code tensor} after {@link #cutAt}: the same name when its node
   * was replaced in place, else the new Placeholder {@code <node>_cut<i>:0}.
   */
  public String cutTensorName(String tensor) {
    TensorName t = TensorName.parse(tensor);
    for (NodeDef d : graphDef.getNodeList()) {
      if (d.getName().equals(t.node()) && d.getOp().equals("Placeholder") && t.index() == 0) return t.toString();
    }
    String cut = GraphSurgery.cutNodeName(t);
    node(cut);
    return cut + ":0";
  }

  /**
   * Splices {@code inner} into this graph, like TensorFlow's {@code import_graph_def(inner,
   * input_map, name=prefix)}: a copy of this graph with every node of {@code inner} added as
   * {@code prefix/<name>}, where each of {@code inner}'s tensors named as a key of {@code inputMap}
   * is replaced by this graph's tensor its value names. Put a model behind its pre-processing
   * ({@code pre.splice(model, "model", Map.of("input:0", "pre/resized:0"))}) or in front of
   * post-processing; {@link #splicedTensorName} gives the spliced tensors' new names.
   *
   * <p>Readers of a mapped tensor read this graph's tensor directly; a mapped Placeholder is left
   * out. Other mapped nodes stay (they may have other readers): {@link #extractSubGraph} drops
   * what is no longer needed. {@code inner}'s variable values come along under their new names;
   * its signatures and assets do not (this graph's stay). Function libraries are merged.
   *
   * <p>Names, the prefix and the mapping are checked in Java before any native call; dtypes and
   * shapes of mapped tensors must agree.
   *
   * @param inner the graph spliced in (left unchanged)
   * @param prefix the name scope for {@code inner}'s nodes, e.g. {@code detector}; no node of this
   *     graph may be called {@code prefix} or start with {@code prefix/}
   * @param inputMap {@code inner}'s tensors ({@code node:i}) to this graph's tensors
   * @throws IllegalArgumentException naming the tensor or node: a key not in {@code inner}, a
   *     value not in this graph, a prefix that collides, mismatched dtypes or shapes
   */
  public ModelGraph splice(ModelGraph inner, String prefix, Map<String, String> inputMap) {
    Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(inputMap, "inputMap");
    if (prefix == null || prefix.endsWith("/") || !GraphValidator.isValidNodeName(prefix)) {
      throw new IllegalArgumentException("splice prefix '" + prefix + "' is not a valid node name scope"
          + " (letters, digits and . _ - / >, not starting with _ - / >, not ending with /)");
    }
    for (NodeDef d : graphDef.getNodeList()) {
      if (d.getName().equals(prefix) || d.getName().startsWith(prefix + "/")) {
        throw new IllegalArgumentException("splice prefix '" + prefix + "' collides with node '" + d.getName()
            + "' of this graph; choose a prefix no node name starts with");
      }
    }
    Set<String> outerNames = new HashSet<>(nodeNames());
    Set<String> innerNames = new HashSet<>(inner.nodeNames());
    Map<TensorName, TensorName> map = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : inputMap.entrySet()) {
      TensorName from = spliceTensor(e.getKey(), "splice input");
      TensorName to = spliceTensor(e.getValue(), "splice input '" + e.getKey() + "' is mapped to");
      String entry = "splice input '" + e.getKey() + "' -> '" + e.getValue() + "'";
      if (!innerNames.contains(from.node())) {
        throw new IllegalArgumentException(outerNames.contains(from.node())
            ? entry + ": node '" + from.node() + "' is in this graph, not in the graph spliced in"
                + " (the map goes from the spliced graph's tensors to this graph's)"
            : entry + ": in the graph spliced in, " + NameSuggestions.notFound("node", from.node(), innerNames));
      }
      if (!outerNames.contains(to.node())) {
        throw new IllegalArgumentException(innerNames.contains(to.node())
            ? entry + ": node '" + to.node() + "' is in the graph spliced in, not in this graph"
                + " (the map goes from the spliced graph's tensors to this graph's)"
            : entry + ": in this graph, " + NameSuggestions.notFound("node", to.node(), outerNames));
      }
      map.put(from, to);
    }
    // Names are sound; now dtypes and shapes (these need the native graphs for shape inference).
    for (Map.Entry<TensorName, TensorName> e : map.entrySet()) {
      TensorSpec want = inputSpec(inner, e.getKey());
      TensorSpec have = spec(e.getValue().toString());
      if (DataTypes.base(want.dtype()) != DataTypes.base(have.dtype())) {
        throw new IllegalArgumentException("splice input '" + want.name() + "' is " + dtypeName(want.dtype())
            + " but '" + have.name() + "' is " + dtypeName(have.dtype()));
      }
      if (!compatible(want.shape(), have.shape())) {
        throw new IllegalArgumentException("splice input '" + want.name() + "' has shape " + want.shapeString()
            + " but '" + have.name() + "' has shape " + have.shapeString());
      }
    }
    GraphDef spliced = GraphSplice.splice(graphDef, inner.graphDef, prefix, map);
    GraphValidator.validate(spliced, "spliced graph");
    Map<String, TensorProto> vars = new LinkedHashMap<>(variables);
    inner.variables.forEach((k, v) -> vars.put(prefix + "/" + k, v));
    return derive(spliced, vars);
  }

  /**
   * The name that {@code innerTensor} (a tensor of the graph spliced in) has in this graph after
   * {@link #splice} under {@code prefix}: {@code prefix/node:i}.
   *
   * @throws IllegalArgumentException when this graph has no such node (e.g. a mapped Placeholder,
   *     which splicing leaves out)
   */
  public String splicedTensorName(String prefix, String innerTensor) {
    TensorName t = TensorName.parse(innerTensor);
    if (t.isControl()) throw new IllegalArgumentException("'" + innerTensor + "' is a control input, not a tensor");
    String name = prefix + "/" + t.node();
    node(name);
    return name + ":" + t.index();
  }

  private static TensorName spliceTensor(String s, String what) {
    if (s == null || s.isBlank()) throw new IllegalArgumentException(what + " an empty tensor name");
    TensorName t = TensorName.parse(s);
    if (t.isControl()) throw new IllegalArgumentException(what + " '" + s + "': a control input, not a tensor");
    return t;
  }

  /** A Placeholder's dtype and shape from its attrs (no native graph); other tensors' by inference. */
  private static TensorSpec inputSpec(ModelGraph g, TensorName t) {
    NodeDef n = g.node(t.node());
    if (!GraphSplice.isInput(n)) return g.spec(t.toString());
    if (t.index() != 0) {
      throw new IllegalArgumentException("node '" + t.node() + "' (" + n.getOp() + ") has 1 output; there is no output " + t.index());
    }
    DataType dt = n.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).getType();
    AttrValue shape = n.getAttrOrDefault("shape", null);
    long[] dims = null;
    if (shape != null && shape.hasShape() && !shape.getShape().getUnknownRank()) {
      dims = shape.getShape().getDimList().stream().mapToLong(d -> d.getSize()).toArray();
    }
    return new TensorSpec(t.toString(), dt, dims);
  }

  private static boolean compatible(long[] a, long[] b) {
    if (a == null || b == null) return true;
    if (a.length != b.length) return false;
    for (int i = 0; i < a.length; i++) if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
    return true;
  }

  private static String dtypeName(DataType dt) {
    return DataTypes.base(dt).name().replace("DT_", "").toLowerCase(Locale.ROOT);
  }

  /**
   * A picture of the graph around {@code nodes} (for example the tensors a cut keeps): the nodes
   * within {@code hops} edges of them, both ways, drawn by Graphviz as SVG; a notebook shows it
   * inline, {@link GraphPicture#writeSvg} writes it to a file.
   */
  public GraphPicture pictureAround(int hops, String... nodes) {
    return GraphPicture.around(graphDef(), List.of(nodes), hops);
  }

  /** Nodes, weight bytes and GraphDef bytes of {@code before} against this graph. */
  public SizeReport sizeReportSince(ModelGraph before) {
    return SizeReport.of(before, this);
  }

  private ModelGraph derive(GraphDef g, Map<String, TensorProto> vars) {
    Set<String> names = new HashSet<>();
    for (NodeDef d : g.getNodeList()) names.add(d.getName());
    Map<String, TensorProto> keptVars = new LinkedHashMap<>();
    vars.forEach((k, v) -> {
      if (names.contains(k)) keptVars.put(k, v);
    });
    Map<String, SignatureDef> keptSigs = new LinkedHashMap<>();
    signatures.forEach((k, s) -> {
      boolean ok = true;
      for (TensorInfo ti : s.getInputsMap().values()) ok &= ti.getName().isEmpty() || names.contains(TensorName.parse(ti.getName()).node());
      for (TensorInfo ti : s.getOutputsMap().values()) ok &= ti.getName().isEmpty() || names.contains(TensorName.parse(ti.getName()).node());
      if (ok) keptSigs.put(k, s);
    });
    return new ModelGraph(g, keptVars, keptSigs, tags, assets, source, format);
  }

  // ---- run and write ----

  /**
   * Runs the graph: feeds by tensor name ({@code node:i}; values are TF Java tensors, TensorProtos,
   * Java scalars or arrays) and returns each fetched tensor as a TensorProto. Variables take their
   * restored values (the graph is frozen in memory first).
   */
  public synchronized Map<String, TensorProto> run(Map<String, ?> feeds, String... fetches) {
    if (!variables.isEmpty()) {
      if (frozenForRun == null) frozenForRun = freeze();
      return frozenForRun.runDirect(feeds, fetches);
    }
    return runDirect(feeds, fetches);
  }

  /** {@link #run} with the results as {@link TensorValue}s. */
  public Map<String, TensorValue> runValues(Map<String, ?> feeds, String... fetches) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    run(feeds, fetches).forEach((k, v) -> out.put(k, TensorValue.fromProto(v)));
    return out;
  }

  private synchronized Map<String, TensorProto> runDirect(Map<String, ?> feeds, String... fetches) {
    Graph g = nativeGraph();
    if (session == null) {
      session = new Session(g);
      initializeVariables(g, session);
    }
    List<Tensor> owned = new ArrayList<>();
    try {
      Session.Runner r = session.runner();
      for (Map.Entry<String, ?> e : feeds.entrySet()) {
        TensorName t = TensorName.parse(e.getKey());
        node(t.node());
        Tensor v = e.getValue() instanceof Tensor given ? given : TfTensors.tensorOf(e.getValue(), "feed '" + e.getKey() + "'");
        if (v != e.getValue()) owned.add(v);
        r.feed(t.node(), t.index(), v);
      }
      for (String f : fetches) {
        TensorName t = TensorName.parse(f);
        node(t.node());
        r.fetch(t.node(), t.index());
      }
      try (Result res = r.run()) {
        Map<String, TensorProto> out = new LinkedHashMap<>();
        for (int i = 0; i < fetches.length; i++) out.put(fetches[i], TfTensors.toProto(res.get(i)));
        return out;
      }
    } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
      throw new IllegalArgumentException("running " + (source == null ? "graph" : source.getFileName()) + " for "
          + Arrays.toString(fetches) + " failed: " + ModelLoader.firstLine(e.getMessage()));
    } finally {
      for (Tensor t : owned) t.close();
    }
  }

  /**
   * Gives the variables freezing could not replace (handles used inside control-flow bodies) their
   * restored values, through Assign / AssignVariableOp ops added to this session's graph.
   */
  private void initializeVariables(Graph g, Session s) {
    if (variables.isEmpty()) return;
    Session.Runner r = s.runner();
    List<Tensor> owned = new ArrayList<>();
    try {
      for (Map.Entry<String, TensorProto> e : variables.entrySet()) {
        GraphOperation v = g.operation(e.getKey());
        if (v == null) continue;
        Tensor t = TfTensors.fromProto(e.getValue(), "variable '" + e.getKey() + "'");
        owned.add(t);
        DataType dt = DataTypes.base(e.getValue().getDtype());
        GraphOperation c = g.opBuilder("Const", "tfkit_init/" + e.getKey() + "/value", g.baseScope())
            .setAttr("dtype", dt).setAttr("value", t).build();
        GraphOperation assign = GraphSurgery.RESOURCE_VARIABLE_OPS.contains(v.type())
            ? g.opBuilder("AssignVariableOp", "tfkit_init/" + e.getKey() + "/assign", g.baseScope())
                .addInput(v.output(0)).addInput(c.output(0)).setAttr("dtype", dt).build()
            : g.opBuilder("Assign", "tfkit_init/" + e.getKey() + "/assign", g.baseScope())
                .addInput(v.output(0)).addInput(c.output(0)).setAttr("T", dt).build();
        r.addTarget(assign);
      }
      r.run();
    } catch (TensorFlowException | IllegalArgumentException | TFUnimplementedException e) {
      throw new IllegalArgumentException("cannot initialize the variables of " + (source == null ? "graph" : source.getFileName())
          + ": " + ModelLoader.firstLine(e.getMessage()));
    } finally {
      for (Tensor t : owned) t.close();
    }
  }

  /** Writes the GraphDef as a binary {@code .pb} (temp file, then renamed into place). */
  public void writeGraphDef(Path file) {
    AtomicFiles.write(file, graphDef::writeTo);
  }

  /** The native graph, imported on first use (the GraphDef was validated in Java already). */
  synchronized Graph nativeGraph() {
    if (closed) throw new IllegalStateException("ModelGraph is closed");
    if (nativeGraph == null) {
      Graph g = new Graph();
      try {
        g.importGraphDef(graphDef);
      } catch (IllegalArgumentException | TensorFlowException | TFUnimplementedException e) {
        g.close();
        throw new IllegalArgumentException((source == null ? "graph" : source.toString()) + ": TensorFlow refused the graph: "
            + ModelLoader.firstLine(e.getMessage()));
      }
      nativeGraph = g;
    }
    return nativeGraph;
  }

  /** Releases the native graph and session created for shapes and {@link #run}. */
  @Override
  public synchronized void close() {
    closed = true;
    if (frozenForRun != null) frozenForRun.close();
    if (session != null) session.close();
    if (nativeGraph != null) nativeGraph.close();
    session = null;
    nativeGraph = null;
    frozenForRun = null;
  }

  @Override
  public String toString() {
    return "ModelGraph[" + format + (source == null ? "" : " " + source) + ", " + graphDef.getNodeCount() + " nodes, "
        + variables.size() + " variables]";
  }

  /** The value of a float TensorProto, for quick checks in JShell and tests. */
  public static float[] floats(TensorProto t) {
    if (t.getDtype() != DataType.DT_FLOAT) throw new IllegalArgumentException("not a float tensor: " + t.getDtype());
    return TensorValue.fromProto(t).floats();
  }
}
