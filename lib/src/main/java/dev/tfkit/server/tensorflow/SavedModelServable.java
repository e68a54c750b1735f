package dev.tfkit.server.tensorflow;

import com.google.protobuf.ByteString;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.DataTypes;
import io.grpc.Context;
import io.grpc.Deadline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Result;
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
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TString;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.InputOuterClass.Input;
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
  private volatile Batcher batcher;
  /** TF Serving's {@code --enable_signature_method_name_check}. */
  private volatile boolean methodNameCheck;
  private final Map<String, RunStats> runStats = new ConcurrentHashMap<>();

  SavedModelServable(
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
    return SavedModelBundles.load(dir, validator, threads);
  }


  public static SavedModelServable load(Path dir) throws IOException {
    return load(dir, new InputValidator());
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
    Batcher b = batcher;
    validator.validate(sig, inputs, b != null && b.padsVariableLengthInputs());
    List<String> aliases = outputAliases(sig, outputFilter);
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
    RequestException.Code code = tensorFlowCode(e);
    if (code != null) {
      return new RequestException(code, String.valueOf(e.getMessage()), e);
    }
    return RequestException.internal("running signature failed: " + e.getMessage(), e);
  }

  /**
   * The status code of a TensorFlow failure TF Java throws its own class for (out of range, failed
   * precondition, resource exhausted, permission denied, unauthenticated, unimplemented), or null.
   * Used for failed runs here and for failed loads by {@link SavedModelLoader}.
   */
  static RequestException.Code tensorFlowCode(Throwable e) {
    return e instanceof TFOutOfRangeException ? RequestException.Code.OUT_OF_RANGE
        : e instanceof TFFailedPreconditionException ? RequestException.Code.FAILED_PRECONDITION
        : e instanceof TFResourceExhaustedException ? RequestException.Code.RESOURCE_EXHAUSTED
        : e instanceof TFPermissionDeniedException ? RequestException.Code.PERMISSION_DENIED
        : e instanceof TFUnauthenticatedException ? RequestException.Code.UNAUTHENTICATED
        : e instanceof TFUnimplementedException ? RequestException.Code.UNIMPLEMENTED
        : null;
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

  /** Runs a classify signature on tf.Example inputs, as TF Serving's Classify does ({@link ExampleRunner}). */
  public ClassificationResult classify(String signatureName, Input input) {
    return ExampleRunner.classify(this, signatureName, input);
  }

  /** Runs a regress signature on tf.Example inputs, as TF Serving's Regress does ({@link ExampleRunner}). */
  public RegressionResult regress(String signatureName, Input input) {
    return ExampleRunner.regress(this, signatureName, input);
  }

  boolean methodNameCheck() {
    return methodNameCheck;
  }

  /** Runs {@code sig} on serialized examples fed to its one input; the outputs named by {@code aliases}. */
  Map<String, TensorProto> runExamples(
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
