package dev.tfkit.server.tensorflow;

import com.google.protobuf.ByteString;
import dev.tfkit.savedmodel.LegacySignatures;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.NativeLimits;
import io.grpc.Context;
import io.grpc.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFPermissionDeniedException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.exceptions.TFUnauthenticatedException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TString;
import tensorflow.serving.Classification.Class;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.RegressionOuterClass.Regression;
import tensorflow.serving.RegressionOuterClass.RegressionResult;

/**
 * One loaded model version: a TensorFlow SavedModel (tag {@code serve}) and its signatures, run the
 * way TF Serving runs them — predict, classify and regress — with every request validated before
 * native code sees it. Thread-safe; close it once no request uses it.
 */
public final class SavedModelServable implements AutoCloseable {
  public static final String DEFAULT_SIGNATURE = "serving_default";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  public static final String REGRESS_METHOD = "tensorflow/serving/regress";

  private final AutoCloseable owner;
  private final Session session;
  private final MetaGraphDef metaGraph;
  private final Map<String, SignatureDef> signatures;
  private final InputValidator validator;
  /** Signatures that do not match the graph (name → why): listed, but their requests fail. */
  private final Map<String, String> broken;
  private static final String INIT_OP_SIGNATURE = "__saved_model_init_op";
  private volatile Batcher batcher;
  /** TF Serving's {@code --enable_signature_method_name_check}. */
  private volatile boolean methodNameCheck;
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");
  private final Map<String, RunStats> runStats = new ConcurrentHashMap<>();

  private SavedModelServable(
      AutoCloseable owner,
      Session session,
      MetaGraphDef metaGraph,
      InputValidator validator,
      Map<String, String> broken) {
    this.owner = owner;
    this.session = session;
    this.metaGraph = metaGraph;
    this.signatures = Map.copyOf(metaGraph.getSignatureDefMap());
    this.validator = validator;
    this.broken = Map.copyOf(broken);
  }

  /**
   * Loads the SavedModel in {@code dir}, or a legacy TF1 export ({@code export.meta} + checkpoint
   * {@code export}), which TF Serving also loads and which has no signatures.
   *
   * @throws IOException naming the folder when it holds neither
   */
  public static SavedModelServable load(Path dir, InputValidator validator) throws IOException {
    return load(dir, validator, SessionThreads.AUTO);
  }

  /** As {@link #load(Path, InputValidator)}, with the session's thread settings. */
  public static SavedModelServable load(Path dir, InputValidator validator, SessionThreads threads)
      throws IOException {
    return load(dir, validator, new SessionOptions(threads, false));
  }

  /** As {@link #load(Path, InputValidator)}, with the session's settings. */
  public static SavedModelServable load(Path dir, InputValidator validator, SessionOptions threads)
      throws IOException {
    if (Files.isRegularFile(dir.resolve("saved_model.pb"))
        || Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
      try {
        // Refuse what would abort the process inside TensorFlow, and half-copied folders.
        SavedModelInfo info =
            SavedModelInfo.read(dir).checkNativeLimits();
        info.checkVariablesPresent("serve");
      } catch (RuntimeException e) {
        throw new IOException("failed to load SavedModel " + dir + ": " + e.getMessage(), e);
      }
      SavedModelBundle bundle;
      try {
        bundle = loadBundle(dir, threads);
      } catch (IllegalArgumentException e) {
        // TF Java refuses the whole model when one signature does not match its graph (a declared
        // dtype differing from the tensor's, a tensor that is not there); TF Serving loads such a
        // model and fails only that signature's requests. Load it without those signatures.
        return loadWithoutBrokenSignatures(dir, validator, threads, e);
      } catch (RuntimeException e) {
        throw new IOException("failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(e.getMessage())), e);
      }
      return new SavedModelServable(bundle, bundle.session(), bundle.metaGraphDef(), validator, Map.of());
    }
    if (Files.isRegularFile(dir.resolve("export.meta"))) {
      return loadLegacy(dir, validator, threads);
    }
    throw new IOException(
        "Could not find SavedModel .pb or .pbtxt at supplied export directory path: " + dir);
  }

  public static SavedModelServable load(Path dir) throws IOException {
    return load(dir, new InputValidator());
  }

  private static SavedModelBundle loadBundle(Path dir, SessionOptions threads) {
    return SavedModelBundle.loader(dir.toString())
        .withTags("serve")
        .withConfigProto(threads.configProto())
        .load();
  }

  /**
   * Loads a SavedModel whose signatures TF Java refused (it checks each signature's declared dtype
   * and shape against the graph, and refuses the whole model for one mismatch; TensorFlow's loader
   * and TF Serving do not): loads a copy of the folder whose {@code saved_model.pb} has no
   * signatures but TF2's init op (every other entry linked, not copied; tfkit runs signatures by
   * tensor name, never through TF Java's signature functions), then checks each signature against
   * the loaded graph. One naming a tensor the graph lacks, or declaring another dtype, is kept as
   * broken: listed in metadata, its requests refused with the reason. A declared shape that differs
   * from the graph's breaks nothing: requests are checked against the graph's shape.
   */
  private static SavedModelServable loadWithoutBrokenSignatures(
      Path dir, InputValidator validator, SessionOptions threads, IllegalArgumentException cause)
      throws IOException {
    SavedModelInfo info;
    MetaGraphDef meta;
    try {
      info = SavedModelInfo.read(dir);
      meta = info.metaGraph("serve");
    } catch (RuntimeException e) {
      throw new IOException(
          "failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(cause.getMessage())), cause);
    }
    SavedModel.Builder model = info.proto().toBuilder();
    for (int i = 0; i < model.getMetaGraphsCount(); i++) {
      MetaGraphDef.Builder mg = model.getMetaGraphsBuilder(i);
      SignatureDef init = mg.getSignatureDefMap().get(INIT_OP_SIGNATURE);
      mg.clearSignatureDef();
      if (init != null) {
        mg.putSignatureDef(INIT_OP_SIGNATURE, init);
      }
    }
    Path copy = Files.createTempDirectory("tfkit-signatures-");
    try {
      try (var entries = Files.list(dir)) {
        for (Path p : (Iterable<Path>) entries::iterator) {
          String name = p.getFileName().toString();
          if (!name.equals("saved_model.pb") && !name.equals("saved_model.pbtxt")) {
            Files.createSymbolicLink(copy.resolve(name), p.toAbsolutePath());
          }
        }
      }
      Files.write(copy.resolve("saved_model.pb"), model.build().toByteArray());
      SavedModelBundle bundle;
      try {
        bundle = loadBundle(copy, threads);
      } catch (RuntimeException e) {
        // Not a signature problem after all: report what the model's own load said.
        IOException failure =
            new IOException("failed to load SavedModel " + dir + ": " + threads.explain(String.valueOf(cause.getMessage())), cause);
        failure.addSuppressed(e);
        throw failure;
      }
      Map<String, String> broken = brokenSignatures(meta, bundle.graph());
      for (Map.Entry<String, String> b : broken.entrySet()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "SavedModel " + dir + ": signature \"" + b.getKey() + "\" cannot be served and its"
                + " requests will fail (the model's other signatures serve): " + b.getValue());
      }
      AutoCloseable owner =
          () -> {
            try {
              bundle.close();
            } finally {
              deleteCopy(copy);
            }
          };
      return new SavedModelServable(owner, bundle.session(), meta, validator, broken);
    } catch (IOException | RuntimeException | Error e) {
      deleteCopy(copy);
      throw e;
    }
  }

  private static void deleteCopy(Path copy) {
    try (var entries = Files.list(copy)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        Files.deleteIfExists(p); // links and the rewritten saved_model.pb; never a link's target
      }
      Files.deleteIfExists(copy);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not delete " + copy + ": " + e.getMessage());
    }
  }

  /**
   * The signatures of {@code meta} that name a tensor {@code g} lacks or declare a dtype other
   * than the tensor's, each with the reason (in TF Java's and TensorFlow's words).
   */
  static Map<String, String> brokenSignatures(MetaGraphDef meta, Graph g) {
    Map<String, String> broken = new TreeMap<>();
    for (Map.Entry<String, SignatureDef> s : meta.getSignatureDefMap().entrySet()) {
      if (s.getKey().equals(INIT_OP_SIGNATURE)) {
        continue;
      }
      String reason = null;
      for (var io : List.of(Map.entry("Input", s.getValue().getInputsMap()), Map.entry("Output", s.getValue().getOutputsMap()))) {
        for (Map.Entry<String, TensorInfo> t : new TreeMap<>(io.getValue()).entrySet()) {
          reason = mismatch(io.getKey(), t.getKey(), t.getValue(), g);
          if (reason != null) {
            break;
          }
        }
        if (reason != null) {
          break;
        }
      }
      if (reason != null) {
        broken.put(s.getKey(), reason);
      }
    }
    return broken;
  }

  private static String mismatch(String kind, String alias, TensorInfo info, Graph g) {
    if (info.getEncodingCase() != TensorInfo.EncodingCase.NAME) {
      return null;
    }
    String tensor = info.getName();
    int colon = tensor.lastIndexOf(':');
    String node = colon < 0 ? tensor : tensor.substring(0, colon);
    int index = 0;
    if (colon >= 0) {
      try {
        index = Integer.parseInt(tensor.substring(colon + 1));
      } catch (NumberFormatException e) {
        return kind + " \"" + alias + "\" names tensor \"" + tensor + "\", which is not a tensor name";
      }
    }
    var op = g.operation(node);
    if (op == null) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" is not in the graph";
    }
    if (index < 0 || index >= op.numOutputs()) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" is not in the graph (node \""
          + node + "\" has " + op.numOutputs() + " outputs)";
    }
    DataType inGraph = DataTypes.base(op.output(index).dataType());
    DataType declared = DataTypes.base(info.getDtype());
    if (inGraph != declared) {
      return kind + " \"" + alias + "\"'s tensor \"" + tensor + "\" has data type " + inGraph
          + " in the graph, but the signature declares " + info.getDtype();
    }
    return null;
  }

  private static SavedModelServable loadLegacy(
      Path dir, InputValidator validator, SessionOptions threads) throws IOException {
    MetaGraphDef meta;
    try (InputStream in = Files.newInputStream(dir.resolve("export.meta"))) {
      meta = MetaGraphDef.parseFrom(in);
    }
    try {
      NativeLimits.checkMetaGraph(meta, dir.resolve("export.meta").toString());
    } catch (IllegalArgumentException e) {
      throw new IOException("failed to load TF1 export " + dir + ": " + e.getMessage(), e);
    }
    Graph g = new Graph();
    Session s = null;
    try {
      g.importGraphDef(meta.getGraphDef());
      s = new Session(g, threads.configProto());
      SaverDef saver = meta.getSaverDef();
      if (!saver.getRestoreOpName().isEmpty()) {
        try (TString prefix = TString.scalarOf(legacyVariables(dir))) {
          s.runner()
              .feed(saver.getFilenameTensorName(), prefix)
              .addTarget(saver.getRestoreOpName())
              .run()
              .close();
        }
      }
      // As TF Serving 1.x loaded a SessionBundle: the legacy init op after the restore, asset
      // tensors fed with the files' real paths, and the legacy signatures up-converted.
      Optional<String> init = LegacySignatures.initOp(meta);
      if (init.isPresent()) {
        List<Tensor> assetPaths = new ArrayList<>();
        try {
          Session.Runner r = s.runner().addTarget(init.get());
          for (Map.Entry<String, String> a : LegacySignatures.assets(meta).entrySet()) {
            TString path = TString.scalarOf(dir.resolve("assets").resolve(a.getValue()).toString());
            assetPaths.add(path);
            r.feed(a.getKey(), path);
          }
          r.run().close();
        } finally {
          assetPaths.forEach(Tensor::close);
        }
      }
      if (LegacySignatures.present(meta)) {
        Map<String, SignatureDef> sigs =
            LegacySignatures.signatureDefs(meta, t -> dtypeOf(g, t));
        meta = meta.toBuilder().clearSignatureDef().putAllSignatureDef(sigs).build();
      }
    } catch (RuntimeException e) {
      if (s != null) {
        s.close();
      }
      g.close();
      throw new IOException("failed to load TF1 export " + dir + ": " + threads.explain(String.valueOf(e.getMessage())), e);
    }
    Session session = s;
    AutoCloseable owner =
        () -> {
          session.close();
          g.close();
        };
    return new SavedModelServable(owner, session, meta, validator, Map.of());
  }

  /**
   * The checkpoint a legacy export restores from, as its loader found it: {@code export} (one V1
   * file, or a V2 prefix), else the sharded V1 pattern {@code export-?????-of-?????}.
   */
  private static String legacyVariables(Path dir) throws IOException {
    if (Files.exists(dir.resolve("export")) || Files.exists(dir.resolve("export.index"))) {
      return dir.resolve("export").toString();
    }
    try (var files = Files.list(dir)) {
      if (files.anyMatch(f -> f.getFileName().toString().matches("export-\\d{5}-of-\\d{5}"))) {
        return dir.resolve("export-?????-of-?????").toString();
      }
    }
    throw new IOException("legacy export " + dir + " has export.meta but no checkpoint (export, export.index or export-NNNNN-of-NNNNN)");
  }

  /** The dtype of tensor {@code node:index} in {@code g} (a ref dtype as its value dtype), or null. */
  private static DataType dtypeOf(Graph g, String tensor) {
    int colon = tensor.lastIndexOf(':');
    String node = colon < 0 ? tensor : tensor.substring(0, colon);
    int index = 0;
    if (colon >= 0) {
      try {
        index = Integer.parseInt(tensor.substring(colon + 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    var op = g.operation(node);
    if (op == null || index < 0 || index >= op.numOutputs()) {
      return null;
    }
    DataType d = op.output(index).dataType();
    return DataTypes.base(d);
  }

  /** The model's meta graph as loaded. */
  public MetaGraphDef metaGraph() {
    return metaGraph;
  }

  /** The signatures as stored in the model. */
  public Map<String, SignatureDef> signatures() {
    return signatures;
  }

  /**
   * The signatures as model metadata reports them: ref dtypes ({@code DT_FLOAT_REF}) are written
   * as the dtype their values have ({@code DT_FLOAT}).
   */
  public SignatureDefMap metadataSignatures() {
    SignatureDefMap.Builder b = SignatureDefMap.newBuilder();
    for (Map.Entry<String, SignatureDef> e : signatures.entrySet()) {
      SignatureDef.Builder s = e.getValue().toBuilder();
      e.getValue().getInputsMap().forEach((k, v) -> s.putInputs(k, derefed(v)));
      e.getValue().getOutputsMap().forEach((k, v) -> s.putOutputs(k, derefed(v)));
      b.putSignatureDef(e.getKey(), s.build());
    }
    return b.build();
  }

  private static TensorInfo derefed(TensorInfo info) {
    DataType base = DataTypes.base(info.getDtype());
    return base == info.getDtype() ? info : info.toBuilder().setDtype(base).build();
  }

  /** The signature name a request means: empty is {@code serving_default}. */
  public static String resolveName(String requested) {
    return requested == null || requested.isEmpty() ? DEFAULT_SIGNATURE : requested;
  }

  /**
   * The signature called {@code name} (empty = {@code serving_default}).
   *
   * @throws RequestException FAILED_PRECONDITION with TF Serving's message when there is none
   */
  public SignatureDef signature(String name) {
    String key = resolveName(name);
    SignatureDef s = signatures.get(key);
    if (s == null) {
      throw RequestException.failedPrecondition(
          "Serving signature key \"" + RequestException.echo(key) + "\" not found.");
    }
    String why = broken.get(key);
    if (why != null) {
      // What TensorFlow answers when TF Serving runs such a signature: INVALID_ARGUMENT.
      throw RequestException.invalidArgument(
          "Signature \"" + key + "\" of this model cannot be run: " + why);
    }
    return s;
  }

  /**
   * Signatures that do not match the model's graph, each with the reason: the model loaded
   * without them, metadata still lists them, and their requests are answered INVALID_ARGUMENT.
   */
  public Map<String, String> brokenSignatures() {
    return broken;
  }

  /**
   * How many session runs served more than one Predict request (0 without batching): shows that
   * batching merged requests.
   */
  public long mergedRuns() {
    Batcher b = batcher;
    return b == null ? 0 : b.stats()[0];
  }

  /**
   * Requests in flight and recent run times of one signature ({@code ""}: the default), for the
   * transport's placement; null when there is no such signature. Kept per signature because one
   * model may have a fast signature and a slow one.
   */
  public RunStats runStats(String signatureName) {
    String name = resolveName(signatureName);
    if (!signatures.containsKey(name)) {
      return null;
    }
    return runStats.computeIfAbsent(name, n -> new RunStats(() -> batcher == null));
  }

  /**
   * How many session runs the batcher made of each batch size, after padding (empty without
   * batching): shows {@code allowed_batch_sizes} padding and large-batch splitting at work.
   */
  public Map<Long, Long> batchRunSizes() {
    Batcher b = batcher;
    return b == null ? Map.of() : b.runSizes();
  }

  /** Requests waiting in the batcher's queues (0 without batching). */
  int batchQueuedRequests() {
    Batcher b = batcher;
    return b == null ? 0 : b.queuedTasks();
  }

  /** Batches the batcher's threads have taken so far (0 without batching). */
  long batchesTaken() {
    Batcher b = batcher;
    return b == null ? 0 : b.takenBatches();
  }

  /**
   * With {@code on}, Predict refuses a signature whose method_name is none of predict, classify,
   * regress (INTERNAL, as TF Serving's predict_util), and Classify / Regress one whose method_name
   * is not classify / regress (INVALID_ARGUMENT) — TF Serving's {@code
   * --enable_signature_method_name_check}; off by default, as there.
   */
  public void methodNameCheck(boolean on) {
    this.methodNameCheck = on;
  }

  /** Merges concurrent predict calls through {@code b} from now on (null: run each alone). */
  void batcher(Batcher b) {
    this.batcher = b;
  }

  /**
   * Runs a Predict: validates {@code inputs} against the signature, fetches the outputs named in
   * {@code outputFilter} (all when empty) and returns them encoded as TF Serving does by default
   * (typed repeated fields).
   */
  public Map<String, TensorProto> predict(
      String signatureName, Map<String, TensorProto> inputs, List<String> outputFilter) {
    SignatureDef sig = signature(signatureName);
    // Like TF Serving's default (--enable_signature_method_name_check=false), any signature can
    // be predicted; TF2 exports write "predict" as the method of every signature.
    if (methodNameCheck
        && !sig.getMethodName().equals(PREDICT_METHOD)
        && !sig.getMethodName().equals(CLASSIFY_METHOD)
        && !sig.getMethodName().equals(REGRESS_METHOD)) {
      throw new RequestException(
          RequestException.Code.INTERNAL,
          "Expected prediction signature method_name to be one of {" + PREDICT_METHOD + ", "
              + CLASSIFY_METHOD + ", " + REGRESS_METHOD + "}. Was: "
              + RequestException.echo(sig.getMethodName()));
    }
    validator.validate(sig, inputs);
    List<String> aliases = outputAliases(sig, outputFilter);
    Batcher b = batcher;
    if (b != null && b.accepts(sig, inputs)) {
      return b.submit(this, resolveName(signatureName), sig, inputs, aliases);
    }
    return runTyped(sig, inputs, aliases, Context.current().getDeadline());
  }

  static List<String> outputAliases(SignatureDef sig, List<String> outputFilter) {
    List<String> aliases = new ArrayList<>();
    if (outputFilter.isEmpty()) {
      aliases.addAll(new TreeSet<>(sig.getOutputsMap().keySet()));
      return aliases;
    }
    for (String alias : outputFilter) {
      if (!sig.getOutputsMap().containsKey(alias)) {
        throw RequestException.invalidArgument(
            "output tensor alias not found in signature: "
                + RequestException.echo(alias)
                + " Outputs expected to be in the set {"
                + String.join(",", new TreeSet<>(sig.getOutputsMap().keySet()))
                + "}.");
      }
      if (aliases.contains(alias)) {
        throw RequestException.invalidArgument(
            "duplicate output tensor alias: " + RequestException.echo(alias));
      }
      aliases.add(alias);
    }
    return aliases;
  }

  /**
   * Runs validated inputs and returns outputs in typed fields; TensorFlow cancels the run at
   * {@code deadline} (null: none).
   */
  Map<String, TensorProto> runTyped(
      SignatureDef sig, Map<String, TensorProto> inputs, List<String> aliases, Deadline deadline) {
    return run(sig, inputs, aliases, true, deadline);
  }

  /** Runs validated inputs and returns outputs packed (for the batcher to split). */
  Map<String, TensorProto> runPacked(
      SignatureDef sig, Map<String, TensorProto> inputs, List<String> aliases, Deadline deadline) {
    return run(sig, inputs, aliases, false, deadline);
  }

  private Map<String, TensorProto> run(
      SignatureDef sig,
      Map<String, TensorProto> inputs,
      List<String> aliases,
      boolean typed,
      Deadline deadline) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = runner(deadline);
      for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
        Tensor t = Tensors.toTensor(e.getValue());
        fed.add(t);
        runner.feed(tensorName(sig.getInputsMap().get(e.getKey()), e.getKey()), t);
      }
      return fetchAll(runner, sig, aliases, typed);
    } catch (RuntimeException e) {
      throw requestFailure(e, deadline);
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** Fetches {@code aliases}' tensors in one run, typed fields or packed. */
  private static Map<String, TensorProto> fetchAll(
      Session.Runner runner, SignatureDef sig, List<String> aliases, boolean typed) {
    for (String alias : aliases) {
      runner.fetch(tensorName(sig.getOutputsMap().get(alias), alias));
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    try (Result r = runner.run()) {
      for (int i = 0; i < aliases.size(); i++) {
        Tensor t = r.get(i);
        out.put(aliases.get(i), typed ? Tensors.toTypedProto(t) : Tensors.toPackedProto(t));
      }
    }
    return out;
  }

  /**
   * A failed run as the request's error: TensorFlow refusing values it cannot use (e.g. a shape a
   * kernel rejects) is INVALID_ARGUMENT; anything else goes through {@link #runFailure}.
   */
  private static RequestException requestFailure(RuntimeException e, Deadline deadline) {
    if (e instanceof RequestException r) {
      return r;
    }
    if (e instanceof IllegalArgumentException) {
      return RequestException.invalidArgument(String.valueOf(e.getMessage()));
    }
    return runFailure(e, deadline);
  }

  /**
   * A session runner that honours the caller's deadline (the gRPC call's, or the REST gateway's
   * {@code --rest_api_timeout_in_ms}): TensorFlow gets the time left as {@code
   * RunOptions.timeout_in_ms} and cancels the run when it is up, as TF Serving does.
   */
  private Session.Runner runner(Deadline d) {
    Session.Runner r = session.runner();
    if (d != null) {
      long nanos = d.timeRemaining(TimeUnit.NANOSECONDS);
      if (nanos <= 0) {
        throw new RequestException(RequestException.Code.DEADLINE_EXCEEDED, "Deadline Exceeded");
      }
      // Rounded up: TensorFlow must not give up before the deadline, or the failed run would not
      // read as a deadline (runFailure checks that the deadline has passed).
      long ms = (nanos + 999_999) / 1_000_000;
      r.setOptions(RunOptions.newBuilder().setTimeoutInMs(ms).build());
    }
    return r;
  }

  /**
   * A failed session run as a serving error; a run cancelled at the deadline says so. TensorFlow's
   * own failures keep their status code and message, as TF Serving passes them on (TF Java throws
   * one class per code for these; the rest share TensorFlowException and are INTERNAL here).
   */
  private static RequestException runFailure(RuntimeException e, Deadline d) {
    if (d != null && d.isExpired()) {
      return new RequestException(RequestException.Code.DEADLINE_EXCEEDED, "Deadline Exceeded");
    }
    RequestException.Code code =
        e instanceof TFOutOfRangeException ? RequestException.Code.OUT_OF_RANGE
            : e instanceof TFFailedPreconditionException ? RequestException.Code.FAILED_PRECONDITION
            : e instanceof TFResourceExhaustedException ? RequestException.Code.RESOURCE_EXHAUSTED
            : e instanceof TFPermissionDeniedException ? RequestException.Code.PERMISSION_DENIED
            : e instanceof TFUnauthenticatedException ? RequestException.Code.UNAUTHENTICATED
            : e instanceof TFUnimplementedException ? RequestException.Code.UNIMPLEMENTED
            : null;
    if (code != null) {
      return new RequestException(code, String.valueOf(e.getMessage()), e);
    }
    return RequestException.internal("running signature failed: " + e.getMessage(), e);
  }

  private static String tensorName(TensorInfo info, String alias) {
    if (info.getEncodingCase() != TensorInfo.EncodingCase.NAME) {
      throw new RequestException(
          RequestException.Code.UNIMPLEMENTED,
          "tensor '" + alias + "' is a sparse or composite tensor, which is not supported");
    }
    return info.getName();
  }

  // ---------------------------------------------------------------- classify / regress

  /** Runs a classify signature on tf.Example inputs, as TF Serving's Classify does. */
  public ClassificationResult classify(String signatureName, Input input) {
    SignatureDef sig = signature(signatureName);
    checkMethod(sig, "classification", CLASSIFY_METHOD);
    TensorInfo in = exampleInput(sig);
    TensorInfo classesInfo = sig.getOutputsMap().get("classes");
    TensorInfo scoresInfo = sig.getOutputsMap().get("scores");
    if (classesInfo == null && scoresInfo == null) {
      throw RequestException.invalidArgument(
          "Expected classification signature outputs to contain at least one of {classes, scores}");
    }
    List<ByteString> examples = serializedExamples(input);
    int n = examples.size();
    List<String> aliases = new ArrayList<>();
    if (classesInfo != null) {
      aliases.add("classes");
    }
    if (scoresInfo != null) {
      aliases.add("scores");
    }
    Map<String, TensorProto> out = runExamples(sig, in, examples, aliases);
    TensorProto classes = out.get("classes");
    TensorProto scores = out.get("scores");
    long k = -1;
    if (classes != null) {
      if (classes.getDtype() != DataType.DT_STRING) {
        throw RequestException.invalidArgument(
            "Expected classes Tensor of DT_STRING. Got: " + classes.getDtype());
      }
      k = checkBatchMatrix("classes", classes, n);
    }
    if (scores != null) {
      if (scores.getDtype() != DataType.DT_FLOAT) {
        throw RequestException.invalidArgument(
            "Expected scores Tensor of DT_FLOAT. Got: " + scores.getDtype());
      }
      long ks = checkBatchMatrix("scores", scores, n);
      if (k >= 0 && ks != k) {
        throw RequestException.invalidArgument(
            "Tensors class and score should match in dim[1]. Got " + k + " vs. " + ks);
      }
      k = ks;
    }
    ClassificationResult.Builder result = ClassificationResult.newBuilder();
    for (int i = 0; i < n; i++) {
      Classifications.Builder c = Classifications.newBuilder();
      for (int j = 0; j < k; j++) {
        Class.Builder cls = Class.newBuilder();
        int idx = (int) (i * k + j);
        if (classes != null) {
          cls.setLabel(classes.getStringVal(idx).toStringUtf8());
        }
        if (scores != null) {
          cls.setScore(scores.getFloatVal(idx));
        }
        c.addClasses(cls);
      }
      result.addClassifications(c);
    }
    return result.build();
  }

  /** Runs a regress signature on tf.Example inputs, as TF Serving's Regress does. */
  public RegressionResult regress(String signatureName, Input input) {
    SignatureDef sig = signature(signatureName);
    checkMethod(sig, "regression", REGRESS_METHOD);
    TensorInfo in = exampleInput(sig);
    if (!sig.getOutputsMap().containsKey("outputs")) {
      throw RequestException.invalidArgument(
          "Expected regression signature to have an output named 'outputs'; it has {"
              + String.join(",", new TreeSet<>(sig.getOutputsMap().keySet()))
              + "}");
    }
    List<ByteString> examples = serializedExamples(input);
    int n = examples.size();
    TensorProto out = runExamples(sig, in, examples, List.of("outputs")).get("outputs");
    if (out.getDtype() != DataType.DT_FLOAT) {
      throw RequestException.invalidArgument(
          "Expected output Tensor of DT_FLOAT. Got: " + out.getDtype());
    }
    var shape = out.getTensorShape();
    boolean ok =
        (shape.getDimCount() == 1 && shape.getDim(0).getSize() == n)
            || (shape.getDimCount() == 2
                && shape.getDim(0).getSize() == n
                && shape.getDim(1).getSize() == 1);
    if (!ok) {
      throw RequestException.invalidArgument(
          "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
              + InputValidator.shapeString(shape));
    }
    RegressionResult.Builder result = RegressionResult.newBuilder();
    for (int i = 0; i < n; i++) {
      result.addRegressions(Regression.newBuilder().setValue(out.getFloatVal(i)));
    }
    return result.build();
  }

  private void checkMethod(SignatureDef sig, String kind, String method) {
    if (methodNameCheck && !sig.getMethodName().equals(method)) {
      throw RequestException.invalidArgument(
          "Expected " + kind + " signature method_name to be " + method + ". Was: "
              + RequestException.echo(sig.getMethodName()));
    }
  }

  private static TensorInfo exampleInput(SignatureDef sig) {
    if (sig.getInputsCount() != 1) {
      throw RequestException.invalidArgument(
          "Expected one input Tensor, got " + sig.getInputsCount());
    }
    TensorInfo in = sig.getInputsMap().values().iterator().next();
    if (DataTypes.base(in.getDtype()) != DataType.DT_STRING) {
      throw RequestException.invalidArgument(
          "Expected the signature's input to be a DT_STRING tensor of serialized tf.Examples,"
              + " got " + in.getDtype());
    }
    return in;
  }

  private Map<String, TensorProto> runExamples(
      SignatureDef sig, TensorInfo in, List<ByteString> examples, List<String> aliases) {
    byte[][] rows = new byte[examples.size()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = examples.get(i).toByteArray();
    }
    Deadline deadline = Context.current().getDeadline();
    Session.Runner runner = runner(deadline);
    try (TString t = TString.tensorOfBytes(Shape.of(rows.length), DataBuffers.ofObjects(rows))) {
      runner.feed(tensorName(in, "inputs"), t);
      return fetchAll(runner, sig, aliases, true);
    } catch (RuntimeException e) {
      throw requestFailure(e, deadline);
    }
  }

  private static long checkBatchMatrix(String what, TensorProto t, int n) {
    var shape = t.getTensorShape();
    if (shape.getDimCount() != 2 || shape.getDim(0).getSize() != n) {
      throw RequestException.invalidArgument(
          "Expected Tensor shape: [batch_size num_classes] but got "
              + InputValidator.shapeString(shape)
              + " for "
              + what);
    }
    return shape.getDim(1).getSize();
  }

  /**
   * The examples of an {@code Input}, serialized; with a context, each is the context followed by
   * the example, which parses as the example merged over the context (as TF Serving feeds them).
   */
  static List<ByteString> serializedExamples(Input input) {
    List<ByteString> out = new ArrayList<>();
    switch (input.getKindCase()) {
      case EXAMPLE_LIST -> input.getExampleList().getExamplesList().forEach(e -> out.add(e.toByteString()));
      case EXAMPLE_LIST_WITH_CONTEXT -> {
        ByteString ctx = input.getExampleListWithContext().getContext().toByteString();
        input
            .getExampleListWithContext()
            .getExamplesList()
            .forEach(e -> out.add(ctx.concat(e.toByteString())));
      }
      default -> {}
    }
    if (out.isEmpty()) {
      throw RequestException.invalidArgument("Input is empty.");
    }
    return out;
  }

  @Override
  public void close() {
    Batcher b = batcher;
    if (b != null) {
      b.close();
    }
    try {
      owner.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the model failed: " + e.getMessage(), e);
    }
  }
}
