package dev.tfkit.savedmodel;

import com.google.protobuf.ByteString;
import dev.tfkit.io.TempSiblings;
import dev.tfkit.tensor.DataTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Exports a TensorFlow graph as a SavedModel that TensorFlow Serving loads: tags, several
 * signatures with dtypes and shapes taken from the graph, assets fed by the loader, table
 * initialisers in the init op, big constants moved to {@code variables/}, atomic version folders
 * and warmup requests.
 *
 * <pre>{@code
 * Path dir = SavedModelExport.from(graphDef)
 *     .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
 *     .asset("vocab_path", Path.of("vocab.txt"))
 *     .exportVersion(Path.of("models/my_model"));      // models/my_model/1, /2, ...
 * }</pre>
 *
 * <p>Every check (tensors, keys, assets, variable values, target folder) runs before anything is
 * written; the model is written into a temporary sibling folder and renamed into place.
 */
public final class SavedModelExport {
  /** The default (and TensorFlow Serving's) tag. */
  public static final String SERVE_TAG = "serve";
  /** The signature key TensorFlow Serving uses when a request names none. */
  public static final String DEFAULT_SIGNATURE_KEY = "serving_default";
  /** The collection TensorFlow's loader runs as the init op after restoring variables. */
  public static final String MAIN_OP_COLLECTION = "saved_model_main_op";
  /** TF2's signature key naming the init op (outputs: the same key → the op's name). */
  public static final String INIT_OP_SIGNATURE_KEY = "__saved_model_init_op";
  /** Default size above which a constant is stored as a variable: 16 MiB. */
  public static final long DEFAULT_CONSTANT_THRESHOLD = 16L << 20;

  private static final Set<String> REF_VARIABLE_OPS = Set.of("VariableV2", "Variable");
  private static final Set<String> RESOURCE_VARIABLE_OPS = Set.of("VarHandleOp");
  private static final Set<String> ASSET_TENSOR_OPS =
      Set.of("Const", "Placeholder", "PlaceholderWithDefault");

  private final GraphDef graphDef;
  private final Map<String, CheckpointWriter.Value> values = new HashMap<>();
  private final Session session;
  private final List<String> tags = new ArrayList<>(List.of(SERVE_TAG));
  private final Map<String, SignatureSpec> signatures = new LinkedHashMap<>();
  private final Map<String, Path> assets = new LinkedHashMap<>();
  private final List<String> initOps = new ArrayList<>();
  private final List<Map.Entry<String, Map<String, ?>>> warmups = new ArrayList<>();
  private long constantThreshold = DEFAULT_CONSTANT_THRESHOLD;
  private boolean overwrite;
  private Consumer<Path> beforeCommit = p -> {};

  private SavedModelExport(GraphDef graphDef, Map<String, TensorProto> variableValues, Session session) {
    this.graphDef = Objects.requireNonNull(graphDef, "graphDef");
    this.session = session;
    variableValues.forEach((k, v) -> values.put(Nodes.opName(k), CheckpointWriter.Value.of(v)));
  }

  /** Exports a GraphDef that has no variables (or a frozen one). */
  public static SavedModelExport from(GraphDef graphDef) {
    return new SavedModelExport(graphDef, Map.of(), null);
  }

  /**
   * Exports a GraphDef whose variables (VariableV2 or VarHandleOp nodes) take the given values,
   * keyed by variable node name; they are written to {@code variables/} and restored at load.
   */
  public static SavedModelExport from(GraphDef graphDef, Map<String, TensorProto> variableValues) {
    return new SavedModelExport(graphDef, variableValues, null);
  }

  /** Exports a TF Java graph (for example one built with the {@code Ops} API) without variables. */
  public static SavedModelExport from(Graph graph) {
    return from(graph.toGraphDef());
  }

  /**
   * Exports a session's graph with the live values of its variables, read from the session when
   * {@link #exportTo} runs.
   */
  public static SavedModelExport from(Session session) {
    return new SavedModelExport(session.graph().toGraphDef(), Map.of(), session);
  }

  /** The MetaGraph's tags (default {@code serve}). */
  public SavedModelExport tags(String... tags) {
    if (tags.length == 0) throw new IllegalArgumentException("at least one tag is needed");
    this.tags.clear();
    for (String t : tags) {
      if (this.tags.contains(t)) throw new IllegalArgumentException("duplicate tag '" + t + "'");
      this.tags.add(t);
    }
    return this;
  }

  /** Adds the {@code serving_default} signature. */
  public SavedModelExport signature(SignatureSpec spec) {
    return signature(DEFAULT_SIGNATURE_KEY, spec);
  }

  /** Adds a signature under {@code key}; a key used twice is refused. */
  public SavedModelExport signature(String key, SignatureSpec spec) {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("signature key is empty");
    if (signatures.containsKey(key)) {
      throw new IllegalArgumentException("duplicate signature key '" + key + "'");
    }
    signatures.put(key, Objects.requireNonNull(spec, "spec"));
    return this;
  }

  /**
   * Ships {@code file} as an asset: copied into {@code assets/} and recorded in the MetaGraph, so
   * TensorFlow's loader feeds the string tensor {@code tensorName} (a Const or Placeholder, such
   * as a table initializer's file name) with the file's real path before the init op runs.
   */
  public SavedModelExport asset(String tensorName, Path file) {
    String t = Nodes.tensorName(tensorName);
    if (assets.containsKey(t)) throw new IllegalArgumentException("duplicate asset tensor '" + t + "'");
    assets.put(t, Objects.requireNonNull(file, "file"));
    return this;
  }

  /**
   * An extra op the init op runs (after the table initialisers), in the order added. A variable
   * assigned by such an op (Assign or AssignVariableOp) is computed at load time and is not saved
   * in {@code variables/}.
   */
  public SavedModelExport initOp(String opName) {
    initOps.add(Nodes.opName(opName));
    return this;
  }

  /**
   * Constants larger than {@code bytes} are stored as variables in {@code variables/} instead of
   * inside {@code saved_model.pb} (protobuf refuses messages over 2 GB). {@code Long.MAX_VALUE}
   * keeps every constant in the graph.
   */
  public SavedModelExport constantsAsVariablesAbove(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("constant threshold must be >= 0: " + bytes);
    this.constantThreshold = bytes;
    return this;
  }

  /** Where TensorFlow Serving reads warmup requests, relative to the SavedModel folder. */
  public static final String WARMUP_FILE = WarmupFile.RELATIVE_PATH;

  /**
   * Adds one warmup request for {@code signatureKey}: TensorFlow Serving replays the records of
   * {@code assets.extra/tf_serving_warmup_requests} (PredictionLog protos in a TFRecord file) when
   * it loads the model, so the first real request is not slow. Inputs are values {@link
   * dev.tfkit.tensor.TensorValue#of} takes, converted to the signature's dtypes and shapes.
   */
  public SavedModelExport warmup(String signatureKey, Map<String, ?> exampleInputs) {
    Objects.requireNonNull(signatureKey, "signatureKey");
    warmups.add(Map.entry(signatureKey, new LinkedHashMap<>(exampleInputs)));
    return this;
  }

  /** Whether an existing target folder may be replaced (default false: it is refused). */
  public SavedModelExport overwrite(boolean overwrite) {
    this.overwrite = overwrite;
    return this;
  }

  /** Test hook: runs on the finished temporary folder just before it is renamed into place. */
  SavedModelExport beforeCommit(Consumer<Path> hook) {
    this.beforeCommit = hook;
    return this;
  }

  /** Exports into {@code BASE/<next integer version>} and returns that folder. */
  public Path exportVersion(Path base) {
    checkBase(base);
    return exportTo(base.resolve(Long.toString(VersionFolders.next(base))));
  }

  /** Exports into {@code BASE/<version>} and returns that folder. */
  public Path exportVersion(Path base, long version) {
    if (version < 0) throw new IllegalArgumentException("version must be >= 0: " + version);
    checkBase(base);
    return exportTo(base.resolve(Long.toString(version)));
  }

  /** Exports into {@code BASE/<seconds since the epoch>} and returns that folder. */
  public Path exportTimestampVersion(Path base) {
    checkBase(base);
    return exportTo(base.resolve(Long.toString(VersionFolders.timestamp(base))));
  }

  private static void checkBase(Path base) {
    if (Files.exists(base) && !Files.isDirectory(base)) {
      throw new IllegalArgumentException("model base folder " + base + " is a file, not a folder");
    }
  }

  /** Exports into exactly {@code dir} (refused if it exists, unless {@link #overwrite}). */
  public Path exportTo(Path dir) {
    Path target = dir.toAbsolutePath().normalize();
    Plan plan = plan(target);
    Path temp = null;
    try {
      temp = VersionFolders.tempSibling(target);
      write(plan, temp);
      beforeCommit.accept(temp);
      VersionFolders.commit(temp, target, overwrite);
      temp = null;
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write SavedModel " + target + ": " + e.getMessage(), e);
    } finally {
      TempSiblings.deleteTree(temp);
      plan.closeFetched();
    }
  }

  /** Builds the SavedModel proto (and the checkpoint values) without writing anything. */
  public SavedModel toProto() {
    Plan plan = plan((Path) null);
    plan.closeFetched();
    return plan.savedModel;
  }

  // ---------------------------------------------------------------------------------------------

  /** Everything decided and checked before the first byte is written. */
  private static final class Plan {
    SavedModel savedModel;
    final Map<String, CheckpointWriter.Value> checkpoint = new LinkedHashMap<>();
    final Map<String, Path> assetFiles = new LinkedHashMap<>(); // file name in assets/ -> source
    final List<Tensor> fetched = new ArrayList<>();
    final Map<String, byte[]> extraFiles = new LinkedHashMap<>();

    void closeFetched() {
      fetched.forEach(Tensor::close);
      fetched.clear();
    }
  }

  private Plan plan(Path target) {
    if (signatures.isEmpty()) {
      throw new IllegalArgumentException("no signature: add at least one with signature(...)");
    }
    if (target != null) checkTarget(target);
    Plan plan = new Plan();
    try {
      return build(plan);
    } catch (RuntimeException e) {
      plan.closeFetched();
      throw e;
    }
  }

  private void checkTarget(Path target) {
    if (Files.exists(target) && !overwrite) {
      throw new IllegalArgumentException(
          "export folder " + target + " already exists (pass overwrite(true) to replace it)");
    }
    Path p = target.getParent();
    while (p != null && !Files.exists(p)) p = p.getParent();
    if (p == null || !Files.isDirectory(p) || !Files.isWritable(p)) {
      throw new IllegalArgumentException("export folder " + target + " cannot be written: " + p + " is not a writable folder");
    }
  }

  /** The stages of an export, in order; each checks what it adds and names what is wrong. */
  private Plan build(Plan plan) {
    Map<String, NodeDef> nodes = new LinkedHashMap<>();
    for (NodeDef n : graphDef.getNodeList()) nodes.put(n.getName(), n);
    Map<String, String> assetFileNames = checkAssets(nodes, plan); // tensor -> file name
    Set<String> assetOps = new HashSet<>();
    assetFileNames.keySet().forEach(t -> assetOps.add(Nodes.opName(t)));
    Map<String, CheckpointWriter.Value> vals = new HashMap<>(values);
    GraphDef.Builder out = bigConstantsToVariables(assetOps, vals);
    List<NodeDef> variables = variablesToSave(out, nodes);
    collectValues(variables, vals, plan);
    checkTableInitializers(out, assetOps);
    InitAndSaver added = addSaverAndInitOp(out, nodes, variables);
    GraphDef finalGraph = out.build();
    MetaGraphDef.Builder meta = signaturesAndAssets(finalGraph, assetFileNames);
    finishMetaGraph(meta, finalGraph, added, plan);
    plan.savedModel = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
    return plan;
  }

  /** Asset tensors checked against the graph and their files; returns tensor → file name in assets/. */
  private Map<String, String> checkAssets(Map<String, NodeDef> nodes, Plan plan) {
    // The tensor must be a string Const/Placeholder the loader can feed; the file must exist.
    Map<String, String> assetFileNames = new LinkedHashMap<>(); // tensor -> file name
    for (Map.Entry<String, Path> a : assets.entrySet()) {
      String tensor = a.getKey();
      NodeDef n = nodes.get(Nodes.opName(tensor));
      if (n == null) throw new IllegalArgumentException("asset tensor '" + tensor + "' not found in the graph");
      if (!ASSET_TENSOR_OPS.contains(n.getOp())) {
        throw new IllegalArgumentException(
            "asset tensor '" + tensor + "' is a " + n.getOp()
                + "; it must be a string Const or Placeholder that the loader feeds (a Variable would race with the init op)");
      }
      if (n.containsAttr("dtype") && n.getAttrOrThrow("dtype").getType() != DataType.DT_STRING) {
        throw new IllegalArgumentException("asset tensor '" + tensor + "' is not a string tensor");
      }
      Path f = a.getValue();
      if (!Files.isRegularFile(f)) throw new IllegalArgumentException("asset file " + f + " not found");
      if (!Files.isReadable(f)) throw new IllegalArgumentException("asset file " + f + " cannot be read");
      String name = f.getFileName().toString();
      Path other = plan.assetFiles.get(name);
      if (other != null && !sameFile(other, f)) {
        throw new IllegalArgumentException("two asset files are named '" + name + "': " + other + " and " + f);
      }
      plan.assetFiles.put(name, f);
      assetFileNames.put(tensor, name);
    }
    return assetFileNames;
  }

  /** The graph with every constant above the threshold turned into a variable of the same name (value in {@code vals}). */
  private GraphDef.Builder bigConstantsToVariables(Set<String> assetOps, Map<String, CheckpointWriter.Value> vals) {
    // Big constants become ref variables of the same name: consumers stay as they are.
    GraphDef.Builder out = GraphDef.newBuilder(graphDef).clearNode();
    for (NodeDef n : graphDef.getNodeList()) {
      NodeDef.Builder b = n.toBuilder().clearDevice();
      if (n.getOp().equals("Const") && !assetOps.contains(n.getName()) && n.containsAttr("value")) {
        TensorProto v = n.getAttrOrThrow("value").getTensor();
        if (v.getSerializedSize() > constantThreshold && v.getDtype() != DataType.DT_RESOURCE
            && v.getDtype() != DataType.DT_VARIANT) {
          b = Nodes.node("VariableV2", n.getName())
              .addAllInput(n.getInputList())
              .putAttr("dtype", Nodes.type(v.getDtype()))
              .putAttr("shape", Nodes.shape(v.getTensorShape()))
              .putAttr("container", AttrValue.newBuilder().setS(ByteString.EMPTY).build())
              .putAttr("shared_name", AttrValue.newBuilder().setS(ByteString.EMPTY).build());
          vals.put(n.getName(), CheckpointWriter.Value.of(v));
        }
      }
      out.addNode(b);
    }

    return out;
  }

  /**
   * The graph's variables that need a saved value; a variable assigned by one of the init ops is
   * computed at load (e.g. from an asset) and is not saved.
   */
  private List<NodeDef> variablesToSave(GraphDef.Builder out, Map<String, NodeDef> nodes) {
    Set<String> initAssigned = new HashSet<>();
    for (String op : initOps) {
      NodeDef n = nodes.get(op);
      if (n != null && (n.getOp().equals("Assign") || n.getOp().equals("AssignVariableOp")) && n.getInputCount() > 0) {
        initAssigned.add(Nodes.opName(n.getInput(0)));
      }
    }
    List<NodeDef> variables = new ArrayList<>();
    for (NodeDef n : out.getNodeList()) {
      if ((REF_VARIABLE_OPS.contains(n.getOp()) || RESOURCE_VARIABLE_OPS.contains(n.getOp()))
          && !initAssigned.contains(n.getName())) {
        variables.add(n);
      }
    }
    return variables;
  }

  /** Every variable's value (given, fetched from the live session, or a big constant's), checked; into the plan's checkpoint. */
  private void collectValues(List<NodeDef> variables, Map<String, CheckpointWriter.Value> vals, Plan plan) {
    Set<String> variableNames = new HashSet<>();
    variables.forEach(v -> variableNames.add(v.getName()));
    for (String k : vals.keySet()) {
      if (!variableNames.contains(k)) {
        throw new IllegalArgumentException("value given for '" + k + "', which is not a variable of the graph");
      }
    }
    if (session != null) fetchLiveValues(variables, vals, plan);
    for (NodeDef v : variables) {
      CheckpointWriter.Value value = vals.get(v.getName());
      if (value == null) {
        throw new IllegalArgumentException("variable '" + v.getName() + "' has no value (give it in from(graphDef, values))");
      }
      DataType want = v.getAttrOrThrow("dtype").getType();
      if (value.dtype() != want) {
        throw new IllegalArgumentException(
            "variable '" + v.getName() + "' is " + want + " but its value is " + value.dtype());
      }
      plan.checkpoint.put(v.getName(), value);
    }

  }

  /** The saver's nodes and the init op's name (either may be null) added to a graph. */
  private record InitAndSaver(SaverDef saverDef, String initName) {}

  /** Saver nodes (only when there are variables) and one init op, under names the graph lacks. */
  private InitAndSaver addSaverAndInitOp(GraphDef.Builder out, Map<String, NodeDef> nodes, List<NodeDef> variables) {
    Set<String> used = new HashSet<>(nodes.keySet());
    SaverDef saverDef = null;
    if (!variables.isEmpty()) {
      String p = uniquePrefix(used, "save");
      saverDef = addSaver(out, p, variables);
    }
    List<String> init = new ArrayList<>();
    for (NodeDef n : out.getNodeList()) if (isTableInitializer(n.getOp())) init.add(n.getName());
    for (String op : initOps) {
      if (!used.contains(op)) throw new IllegalArgumentException("init op '" + op + "' not found in the graph");
      if (!init.contains(op)) init.add(op);
    }
    String initName = null;
    if (!init.isEmpty()) {
      initName = uniquePrefix(used, "tfkit_init_op");
      chainInOrder(out, init);
      NodeDef.Builder noop = Nodes.node("NoOp", initName);
      for (String i : init) noop.addInput("^" + i);
      out.addNode(noop);
    }
    return new InitAndSaver(saverDef, initName);
  }

  /** Imports the final graph into TensorFlow (which checks it) and builds the signatures and asset defs from it. */
  private MetaGraphDef.Builder signaturesAndAssets(GraphDef finalGraph, Map<String, String> assetFileNames) {
    // TensorFlow gives the dtypes and shapes for the signatures.
    MetaGraphDef.Builder meta = MetaGraphDef.newBuilder();
    try (Graph g = new Graph()) {
      try {
        g.importGraphDef(finalGraph);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TensorFlow refused the graph: " + e.getMessage(), e);
      }
      for (Map.Entry<String, SignatureSpec> s : signatures.entrySet()) {
        meta.putSignatureDef(s.getKey(), signatureDef(g, s.getKey(), s.getValue()));
      }
      for (Map.Entry<String, String> a : assetFileNames.entrySet()) {
        meta.addAssetFileDef(
            AssetFileDef.newBuilder()
                .setTensorInfo(tensorInfo(g, "asset", a.getKey()))
                .setFilename(a.getValue()));
      }
    }
    return meta;
  }

  /** Warmup file, tags and versions, the graph, the saver, and the init op where loaders look for it. */
  private void finishMetaGraph(MetaGraphDef.Builder meta, GraphDef finalGraph, InitAndSaver added, Plan plan) {
    SaverDef saverDef = added.saverDef();
    String initName = added.initName();
    if (!warmups.isEmpty()) {
      plan.extraFiles.put(WARMUP_FILE, WarmupFile.records(warmups, meta.getSignatureDefMap()));
    }
    meta.setMetaInfoDef(
        MetaGraphDef.MetaInfoDef.newBuilder()
            .addAllTags(tags)
            .setTensorflowVersion(TensorFlow.version())
            .setTensorflowGitVersion("tfkit"));
    meta.setGraphDef(finalGraph);
    if (saverDef != null) meta.setSaverDef(saverDef);
    if (initName != null) {
      // Both places TensorFlow's loader looks: the TF2 signature (read first by TF 2.x and by TF
      // Serving 2.x) and the TF1 collection (older loaders).
      meta.putSignatureDef(
          INIT_OP_SIGNATURE_KEY,
          SignatureDef.newBuilder()
              .putOutputs(
                  INIT_OP_SIGNATURE_KEY,
                  TensorInfo.newBuilder()
                      .setName(initName)
                      .setDtype(DataType.DT_INVALID)
                      .setTensorShape(TensorShapeProto.newBuilder().setUnknownRank(true))
                      .build())
              .build());
      meta.putCollectionDef(
          MAIN_OP_COLLECTION,
          CollectionDef.newBuilder()
              .setNodeList(CollectionDef.NodeList.newBuilder().addValue(initName))
              .build());
    }
  }

  private void fetchLiveValues(List<NodeDef> variables, Map<String, CheckpointWriter.Value> vals, Plan plan) {
    Graph g = session.graph();
    for (NodeDef v : variables) {
      if (vals.containsKey(v.getName())) continue;
      GraphOperation op = g.operation(v.getName());
      if (op == null) continue; // a converted constant: its value is known already
      Output<?> read;
      if (RESOURCE_VARIABLE_OPS.contains(v.getOp())) {
        read = g.opBuilder("ReadVariableOp", uniqueOpName(g, v.getName() + "/tfkit_read"), g.baseScope())
            .addInput(op.output(0))
            .setAttr("dtype", v.getAttrOrThrow("dtype").getType())
            .build()
            .output(0);
      } else {
        read = op.output(0);
      }
      try {
        Tensor t = session.runner().fetch(read).run().get(0);
        plan.fetched.add(t);
        vals.put(v.getName(), CheckpointWriter.Value.of(t));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("cannot read variable '" + v.getName() + "' from the session: " + e.getMessage(), e);
      }
    }
  }

  private static String uniqueOpName(Graph g, String base) {
    String n = base;
    for (int i = 1; g.operation(n) != null; i++) n = base + "_" + i;
    return n;
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  static boolean isTableInitializer(String op) {
    return op.startsWith("InitializeTable") || op.equals("LookupTableImportV2") || op.equals("LookupTableImport");
  }

  /**
   * Refuses the tensorflow/serving#1437 mistake: a table initializer whose file name comes from a
   * variable (assigned by the same init op, so the read may run first), or from a path baked into
   * a constant that is not an asset (it would not exist on the server).
   */
  private static void checkTableInitializers(GraphDef.Builder g, Set<String> assetOps) {
    Map<String, NodeDef> byName = new HashMap<>();
    for (NodeDef n : g.getNodeList()) byName.put(n.getName(), n);
    for (NodeDef n : g.getNodeList()) {
      if (!n.getOp().startsWith("InitializeTableFromTextFile") || n.getInputCount() < 2) continue;
      NodeDef src = byName.get(Nodes.opName(n.getInput(1)));
      while (src != null && (src.getOp().equals("Identity") || src.getOp().equals("Snapshot")) && src.getInputCount() > 0) {
        src = byName.get(Nodes.opName(src.getInput(0)));
      }
      if (src == null) continue;
      String op = src.getOp();
      if (REF_VARIABLE_OPS.contains(op) || RESOURCE_VARIABLE_OPS.contains(op) || op.equals("ReadVariableOp")) {
        throw new IllegalArgumentException(
            "table initializer '" + n.getName() + "' reads its file name from variable '" + src.getName()
                + "', which races with the init op (tensorflow/serving#1437); read it from an asset tensor instead");
      }
      if (op.equals("Const") && !assetOps.contains(src.getName())) {
        throw new IllegalArgumentException(
            "table initializer '" + n.getName() + "' reads a file name baked into constant '" + src.getName()
                + "'; register that file with asset(\"" + src.getName() + "\", file) so it ships with the model");
      }
    }
  }

  /** Makes the init steps run one after another, in list order, via control dependencies. */
  private static void chainInOrder(GraphDef.Builder g, List<String> ops) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) index.put(g.getNode(i).getName(), i);
    for (int i = 1; i < ops.size(); i++) {
      int at = index.get(ops.get(i));
      NodeDef n = g.getNode(at);
      String dep = "^" + ops.get(i - 1);
      if (!n.getInputList().contains(dep)) g.setNode(at, n.toBuilder().addInput(dep));
    }
  }

  private static String uniquePrefix(Set<String> used, String base) {
    String p = base;
    for (int i = 1; ; i++) {
      String cand = p;
      boolean clash = used.stream().anyMatch(n -> n.equals(cand) || n.startsWith(cand + "/"));
      if (!clash) {
        used.add(cand);
        return cand;
      }
      p = base + "_" + i;
    }
  }

  /** TF1-style saver nodes: SaveV2/RestoreV2 on a filename placeholder the loader feeds. */
  private static SaverDef addSaver(GraphDef.Builder g, String p, List<NodeDef> variables) {
    List<NodeDef> vars = new ArrayList<>(variables);
    vars.sort((a, b) -> a.getName().compareTo(b.getName()));
    List<String> names = new ArrayList<>();
    List<DataType> dtypes = new ArrayList<>();
    for (NodeDef v : vars) {
      names.add(v.getName());
      dtypes.add(v.getAttrOrThrow("dtype").getType());
    }
    String filename = p + "/filename";
    g.addNode(Nodes.constant(filename + "/input", Nodes.stringScalar("model")));
    g.addNode(
        Nodes.node("PlaceholderWithDefault", filename, filename + "/input")
            .putAttr("dtype", Nodes.type(DataType.DT_STRING))
            .putAttr("shape", Nodes.shape(Nodes.scalarShape())));
    g.addNode(Nodes.constant(p + "/SaveV2/tensor_names", Nodes.stringVector(names)));
    g.addNode(Nodes.constant(p + "/SaveV2/shape_and_slices", Nodes.stringVector(Collections.nCopies(names.size(), ""))));
    NodeDef.Builder save =
        Nodes.node("SaveV2", p + "/SaveV2", filename, p + "/SaveV2/tensor_names", p + "/SaveV2/shape_and_slices");
    for (int i = 0; i < vars.size(); i++) {
      NodeDef v = vars.get(i);
      if (RESOURCE_VARIABLE_OPS.contains(v.getOp())) {
        String read = p + "/Read_" + i;
        g.addNode(Nodes.node("ReadVariableOp", read, v.getName()).putAttr("dtype", Nodes.type(dtypes.get(i))));
        save.addInput(read);
      } else {
        save.addInput(v.getName());
      }
    }
    save.putAttr("dtypes", Nodes.types(dtypes));
    g.addNode(save);
    g.addNode(
        Nodes.node("Identity", p + "/control_dependency", filename, "^" + p + "/SaveV2")
            .putAttr("T", Nodes.type(DataType.DT_STRING)));
    g.addNode(Nodes.constant(p + "/RestoreV2/tensor_names", Nodes.stringVector(names)));
    g.addNode(Nodes.constant(p + "/RestoreV2/shape_and_slices", Nodes.stringVector(Collections.nCopies(names.size(), ""))));
    g.addNode(
        Nodes.node("RestoreV2", p + "/RestoreV2", filename, p + "/RestoreV2/tensor_names", p + "/RestoreV2/shape_and_slices")
            .putAttr("dtypes", Nodes.types(dtypes)));
    NodeDef.Builder restoreAll = Nodes.node("NoOp", p + "/restore_all");
    for (int i = 0; i < vars.size(); i++) {
      NodeDef v = vars.get(i);
      String restored = p + "/RestoreV2:" + i;
      String assign = p + "/Assign_" + i;
      if (RESOURCE_VARIABLE_OPS.contains(v.getOp())) {
        g.addNode(Nodes.node("AssignVariableOp", assign, v.getName(), restored).putAttr("dtype", Nodes.type(dtypes.get(i))));
      } else {
        g.addNode(
            Nodes.node("Assign", assign, v.getName(), restored)
                .putAttr("T", Nodes.type(dtypes.get(i)))
                .putAttr("validate_shape", Nodes.bool(true))
                .putAttr("use_locking", Nodes.bool(true)));
      }
      restoreAll.addInput("^" + assign);
    }
    g.addNode(restoreAll);
    return SaverDef.newBuilder()
        .setFilenameTensorName(filename + ":0")
        .setSaveTensorName(p + "/control_dependency:0")
        .setRestoreOpName(p + "/restore_all")
        .setMaxToKeep(5)
        .setSharded(false)
        .setKeepCheckpointEveryNHours(10000f)
        .setVersion(SaverDef.CheckpointFormatVersion.V2)
        .build();
  }

  private static SignatureDef signatureDef(Graph g, String key, SignatureSpec spec) {
    if (spec.inputs().isEmpty() && spec.outputs().isEmpty()) {
      throw new IllegalArgumentException("signature '" + key + "' has no inputs and no outputs");
    }
    if (spec.outputs().isEmpty()) throw new IllegalArgumentException("signature '" + key + "' has no outputs");
    SignatureDef.Builder b = SignatureDef.newBuilder().setMethodName(spec.methodName());
    for (Map.Entry<String, String> e : spec.inputs().entrySet()) {
      b.putInputs(e.getKey(), tensorInfo(g, "signature '" + key + "' input '" + e.getKey() + "'", e.getValue()));
    }
    for (Map.Entry<String, String> e : spec.outputs().entrySet()) {
      b.putOutputs(e.getKey(), tensorInfo(g, "signature '" + key + "' output '" + e.getKey() + "'", e.getValue()));
    }
    SignatureDef sig = b.build();
    checkMethodShape(key, sig);
    return sig;
  }

  /** TensorFlow Serving's rules for Classify and Regress signatures, checked at export. */
  private static void checkMethodShape(String key, SignatureDef sig) {
    String m = sig.getMethodName();
    if (!m.equals(SignatureSpec.CLASSIFY_METHOD) && !m.equals(SignatureSpec.REGRESS_METHOD)) return;
    String what = m.equals(SignatureSpec.CLASSIFY_METHOD) ? "classify" : "regress";
    if (sig.getInputsCount() != 1 || !sig.containsInputs("inputs")) {
      throw new IllegalArgumentException("signature '" + key + "' (" + what + ") needs exactly one input, 'inputs'");
    }
    if (sig.getInputsOrThrow("inputs").getDtype() != DataType.DT_STRING) {
      throw new IllegalArgumentException("signature '" + key + "' (" + what + ") input 'inputs' must be DT_STRING (serialized tf.Example)");
    }
    Set<String> allowed = m.equals(SignatureSpec.CLASSIFY_METHOD) ? Set.of("classes", "scores") : Set.of("outputs");
    for (String o : sig.getOutputsMap().keySet()) {
      if (!allowed.contains(o)) {
        throw new IllegalArgumentException("signature '" + key + "' (" + what + ") output '" + o + "' is not one of " + new LinkedHashSet<>(allowed));
      }
    }
  }

  private static TensorInfo tensorInfo(Graph g, String what, String tensorName) {
    String opName = Nodes.opName(tensorName);
    int index = Nodes.outputIndex(tensorName);
    GraphOperation op = g.operation(opName);
    if (op == null) throw new IllegalArgumentException(what + ": tensor '" + tensorName + "' not found in the graph");
    if (index >= op.numOutputs()) {
      throw new IllegalArgumentException(what + ": tensor '" + tensorName + "' not found ('" + opName + "' has " + op.numOutputs() + " outputs)");
    }
    Output<?> o = op.output(index);
    return TensorInfo.newBuilder()
        .setName(opName + ":" + index)
        .setDtype(DataTypes.base(o.dataType()))
        .setTensorShape(shapeProto(o.shape()))
        .build();
  }

  static TensorShapeProto shapeProto(Shape s) {
    if (s.isUnknown()) return TensorShapeProto.newBuilder().setUnknownRank(true).build();
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (int i = 0; i < s.numDimensions(); i++) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(s.get(i)));
    return b.build();
  }

  private void write(Plan plan, Path dir) throws IOException {
    try (OutputStream o = Files.newOutputStream(dir.resolve("saved_model.pb"))) {
      plan.savedModel.writeTo(o);
    }
    Path vars = Files.createDirectories(dir.resolve("variables"));
    if (!plan.checkpoint.isEmpty()) {
      try {
        CheckpointWriter.write(vars.resolve("variables"), plan.checkpoint);
      } catch (RuntimeException e) {
        throw new IOException("TensorFlow could not write the variables: " + e.getMessage(), e);
      }
    }
    if (!plan.assetFiles.isEmpty()) {
      Path assetsDir = Files.createDirectories(dir.resolve("assets"));
      for (Map.Entry<String, Path> a : plan.assetFiles.entrySet()) {
        Files.copy(a.getValue(), assetsDir.resolve(a.getKey()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    for (Map.Entry<String, byte[]> e : plan.extraFiles.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.createDirectories(f.getParent());
      Files.write(f, e.getValue());
    }
  }
}
