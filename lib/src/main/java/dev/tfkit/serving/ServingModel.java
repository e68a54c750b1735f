package dev.tfkit.serving;

import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.tensor.TensorValue;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.ExampleListWithContext;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelManagement.ReloadConfigResponse;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/**
 * A client for one model on a TensorFlow Serving (or tfkit embedded) server, over gRPC or REST.
 *
 * <pre>{@code
 * try (var m = ServingModel.grpc("localhost:8500", "half_plus_two")) {
 *   Prediction p = m.run(Map.of("x", new float[][] {{2f}, {4f}}));
 *   p.output("y").floats();   // [3.0, 4.0]
 * }
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe: every option ({@link #version}, {@link #signature},
 * {@link #deadline}, {@link #outputs}, {@link #retry} ...) returns a new instance over the same
 * connection, and each call builds its own request, so one instance may serve any number of
 * threads. Connections are shared per (target, {@link ConnectionOptions}): opening clients for
 * several models of one server uses one channel, which closes when the last of them is closed.
 * Closing an instance closes it for every instance derived from it.
 *
 * <p>Failures throw {@link ServingException} with the gRPC status code and a message naming the
 * model, version and target. Calls that find the server {@code UNAVAILABLE} are retried with
 * backoff ({@link RetryPolicy#defaults()}: 3 attempts); nothing else is retried.
 *
 * <p>gRPC targets are {@code host:port}, or any grpc-java target such as {@code
 * dns:///my-service.namespace:8500}, which resolves to every address of the name (a Kubernetes
 * headless service: every pod) and then balances calls round robin between them, or {@code
 * unix:/path/to/socket} for a server's Unix domain socket ({@code --grpc_socket_path}). TLS, with
 * or without a client certificate, comes from {@link ConnectionOptions#tls}; ALTS (a server with
 * {@code --use_alts_credentials}) from {@link ConnectionOptions#alts}.
 */
public final class ServingModel implements AutoCloseable {
  /** The signature TF Serving uses when a request names none. */
  public static final String DEFAULT_SIGNATURE = "serving_default";
  /** The method name of classification signatures (multiInference tasks). */
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  /** The method name of regression signatures (multiInference tasks). */
  public static final String REGRESS_METHOD = "tensorflow/serving/regress";
  /** The deadline of a new client: long enough for a first call that loads lazily. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  private final SharedTransports.Lease lease;
  private final String model;
  private final Long version;
  private final String versionLabel;
  private final String signature;
  private final Duration deadline;
  private final List<String> outputs;
  private final RetryPolicy retry;
  private final RestFormat restFormat;

  private ServingModel(
      SharedTransports.Lease lease,
      String model,
      Long version,
      String versionLabel,
      String signature,
      Duration deadline,
      List<String> outputs,
      RetryPolicy retry,
      RestFormat restFormat) {
    this.lease = lease;
    this.model = model;
    this.version = version;
    this.versionLabel = versionLabel;
    this.signature = signature;
    this.deadline = deadline;
    this.outputs = outputs;
    this.retry = retry;
    this.restFormat = restFormat;
  }

  private static ServingModel create(SharedTransports.Lease lease, String model) {
    return new ServingModel(
        lease, model, null, null, null, DEFAULT_DEADLINE, List.of(), RetryPolicy.defaults(),
        RestFormat.COLUMNAR);
  }

  private static String requireName(String model) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model name is empty");
    }
    return model;
  }

  private static String requireTarget(String target) {
    if (target == null || target.isBlank()) {
      throw new IllegalArgumentException("server target is empty (expected host:port)");
    }
    return target.trim();
  }

  // ------------------------------------------------------------------------------------------
  // Opening
  // ------------------------------------------------------------------------------------------

  /** A gRPC client for {@code model} at {@code target} ({@code host:port}), plaintext. */
  public static ServingModel grpc(String target, String model) {
    return grpc(target, model, ConnectionOptions.defaults());
  }

  /** A gRPC client for {@code model} at {@code target} with these connection options. */
  public static ServingModel grpc(String target, String model, ConnectionOptions options) {
    String t = requireTarget(target);
    if (t.startsWith("http://") || t.startsWith("https://")) {
      throw new IllegalArgumentException(
          "gRPC target '" + t + "' is a URL: give host:port (e.g. localhost:8500), or use"
              + " ServingModel.rest for the REST API");
    }
    requireName(model);
    Objects.requireNonNull(options, "options");
    return create(
        SharedTransports.acquire("grpc", t, options, () -> GrpcTransport.open(t, options)), model);
  }

  /**
   * A gRPC client over a channel the caller built and owns (in-process servers, custom
   * interceptors); closing the client leaves the channel open.
   */
  public static ServingModel grpc(Channel channel, String model) {
    Objects.requireNonNull(channel, "channel");
    return create(SharedTransports.unshared(GrpcTransport.over(channel)), requireName(model));
  }

  /**
   * A REST client for {@code model} at {@code target}: {@code host:port} (TF Serving's REST port,
   * usually 8501) or an {@code http(s)://} URL.
   */
  public static ServingModel rest(String target, String model) {
    return rest(target, model, ConnectionOptions.defaults());
  }

  /** A REST client with these connection options (TLS makes {@code host:port} https). */
  public static ServingModel rest(String target, String model, ConnectionOptions options) {
    String t = requireTarget(target);
    requireName(model);
    Objects.requireNonNull(options, "options");
    return create(
        SharedTransports.acquire("rest", t, options, () -> RestTransport.open(t, options)), model);
  }

  // ------------------------------------------------------------------------------------------
  // Options: each returns a new instance over the same connection
  // ------------------------------------------------------------------------------------------

  private ServingModel with(
      Long version, String label, String signature, Duration deadline, List<String> outputs,
      RetryPolicy retry, RestFormat format) {
    return new ServingModel(
        lease, model, version, label, signature, deadline, outputs, retry, format);
  }

  /** The same model, pinned to this version. */
  public ServingModel version(long version) {
    if (version < 0) throw new IllegalArgumentException("model version must be >= 0, got " + version);
    return with(version, null, signature, deadline, outputs, retry, restFormat);
  }

  /** The same model at the version with this label (e.g. {@code stable}, {@code canary}). */
  public ServingModel versionLabel(String label) {
    if (label == null || label.isBlank()) throw new IllegalArgumentException("version label is empty");
    return with(null, label, signature, deadline, outputs, retry, restFormat);
  }

  /** The same model at its latest version (no version or label). */
  public ServingModel latest() {
    return with(null, null, signature, deadline, outputs, retry, restFormat);
  }

  /** The same model, calling this signature ({@code null} or empty: the default one). */
  public ServingModel signature(String signature) {
    String s = signature == null || signature.isEmpty() ? null : signature;
    return with(version, versionLabel, s, deadline, outputs, retry, restFormat);
  }

  /**
   * The same model with this deadline per call, retries included ({@code null}: none — a call
   * then waits as long as the server takes).
   */
  public ServingModel deadline(Duration deadline) {
    if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    return with(version, versionLabel, signature, deadline, outputs, retry, restFormat);
  }

  /** The same model asking only for these outputs (TF Serving's {@code output_filter}); none: all. */
  public ServingModel outputs(String... outputKeys) {
    List<String> o = List.copyOf(Arrays.asList(outputKeys));
    return with(version, versionLabel, signature, deadline, o, retry, restFormat);
  }

  /** The same model with this retry policy for {@code UNAVAILABLE}. */
  public ServingModel retry(RetryPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    return with(version, versionLabel, signature, deadline, outputs, policy, restFormat);
  }

  /** The same model sending REST predict bodies in this layout (default columnar). */
  public ServingModel restFormat(RestFormat format) {
    Objects.requireNonNull(format, "format");
    return with(version, versionLabel, signature, deadline, outputs, retry, format);
  }

  /** The model name. */
  public String model() {
    return model;
  }

  /** The server address as given (REST: the base URL). */
  public String target() {
    return lease.transport().target();
  }

  /** Whether this client speaks REST (else gRPC). */
  public boolean isRest() {
    return lease.transport().isRest();
  }

  /** The pinned version, if any. */
  public OptionalLong version() {
    return version == null ? OptionalLong.empty() : OptionalLong.of(version);
  }

  /** The version label, if any. */
  public Optional<String> versionLabel() {
    return Optional.ofNullable(versionLabel);
  }

  /** The signature called ({@link #DEFAULT_SIGNATURE} unless set). */
  public String signature() {
    return signature == null ? DEFAULT_SIGNATURE : signature;
  }

  /** The per-call deadline, if any. */
  public Optional<Duration> deadline() {
    return Optional.ofNullable(deadline);
  }

  /** The output filter (empty: all outputs). */
  public List<String> outputs() {
    return outputs;
  }

  /** The retry policy. */
  public RetryPolicy retryPolicy() {
    return retry;
  }

  /** The model spec every request carries: name, version or label, signature. */
  public ModelSpec modelSpec() {
    ModelSpec.Builder b = ModelSpec.newBuilder().setName(model);
    if (version != null) b.setVersion(Int64Value.of(version));
    if (versionLabel != null) b.setVersionLabel(versionLabel);
    if (signature != null) b.setSignatureName(signature);
    return b.build();
  }

  private ModelSpec specWithoutSignature() {
    return modelSpec().toBuilder().clearSignatureName().build();
  }

  // ------------------------------------------------------------------------------------------
  // Predict
  // ------------------------------------------------------------------------------------------

  /**
   * Runs the signature on these inputs and waits for the outputs.
   *
   * @param inputs input key → value: a {@link TensorValue}, a TensorProto, or any Java value
   *     {@link TensorValue#of(Object)} takes ({@code float[][]}, {@code String}, {@code int[]} ...)
   * @throws ServingException when the call fails
   * @throws IllegalArgumentException when an input cannot be converted (naming it)
   */
  public Prediction run(Map<String, ?> inputs) {
    return Prediction.fromResponse(predict(predictRequest(inputs)));
  }

  /** {@link #run} without blocking: the future fails with a {@link ServingException}. */
  public CompletableFuture<Prediction> runAsync(Map<String, ?> inputs) {
    PredictRequest req;
    try {
      req = predictRequest(inputs);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return invokeAsync(PredictionServiceGrpc.getPredictMethod(), req, "predict")
        .thenApply(Prediction::fromResponse);
  }

  /** Sends a PredictRequest as it is (its model spec included) and returns the raw response. */
  public PredictResponse predict(PredictRequest request) {
    return invoke(PredictionServiceGrpc.getPredictMethod(), request, "predict");
  }

  /** The PredictRequest {@link #run} sends for these inputs. */
  public PredictRequest predictRequest(Map<String, ?> inputs) {
    Objects.requireNonNull(inputs, "inputs");
    PredictRequest.Builder b = PredictRequest.newBuilder().setModelSpec(modelSpec());
    for (Map.Entry<String, ?> e : inputs.entrySet()) {
      String key = e.getKey();
      if (key == null) throw new IllegalArgumentException("an input key of model '" + model + "' is null");
      b.putInputs(key, toProto(key, e.getValue()));
    }
    b.addAllOutputFilter(outputs);
    return b.build();
  }

  private TensorProto toProto(String key, Object value) {
    if (value == null) {
      throw new IllegalArgumentException("input '" + key + "' of model '" + model + "' is null");
    }
    if (value instanceof TensorProto p) return p;
    try {
      return (value instanceof TensorValue v ? v : TensorValue.of(value)).toProto();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "input '" + key + "' of model '" + model + "': " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Classify, regress, multi-inference
  // ------------------------------------------------------------------------------------------

  /** Classifies examples (each a map of features, see {@link Examples}). */
  public Classifications classify(List<? extends Map<String, ?>> examples) {
    return classify(null, examples);
  }

  /**
   * Classifies examples that share a context (features common to all; {@code null} for none).
   */
  public Classifications classify(Map<String, ?> context, List<? extends Map<String, ?>> examples) {
    ClassificationRequest req =
        ClassificationRequest.newBuilder()
            .setModelSpec(modelSpec())
            .setInput(input(context, examples))
            .build();
    ClassificationResponse r = invoke(PredictionServiceGrpc.getClassifyMethod(), req, "classify");
    List<List<ClassScore>> classes = new ArrayList<>();
    for (var c : r.getResult().getClassificationsList()) {
      List<ClassScore> one = new ArrayList<>();
      for (var k : c.getClassesList()) one.add(new ClassScore(k.getLabel(), k.getScore()));
      classes.add(one);
    }
    return new Classifications(r.getModelSpec(), classes);
  }

  /** Regresses examples (each a map of features, see {@link Examples}). */
  public Regressions regress(List<? extends Map<String, ?>> examples) {
    return regress(null, examples);
  }

  /** Regresses examples that share a context ({@code null} for none). */
  public Regressions regress(Map<String, ?> context, List<? extends Map<String, ?>> examples) {
    RegressionRequest req =
        RegressionRequest.newBuilder()
            .setModelSpec(modelSpec())
            .setInput(input(context, examples))
            .build();
    RegressionResponse r = invoke(PredictionServiceGrpc.getRegressMethod(), req, "regress");
    List<Float> values = new ArrayList<>();
    for (var v : r.getResult().getRegressionsList()) values.add(v.getValue());
    return new Regressions(r.getModelSpec(), values);
  }

  /**
   * Runs several classify/regress signatures on the same examples in one call (gRPC only).
   *
   * @param tasks signature key → method ({@link #CLASSIFY_METHOD} or {@link #REGRESS_METHOD})
   * @return TF Serving's response: one result per task, in order
   */
  public MultiInferenceResponse multiInference(
      List<? extends Map<String, ?>> examples, Map<String, String> tasks) {
    if (tasks.isEmpty()) throw new IllegalArgumentException("multiInference needs at least one task");
    MultiInferenceRequest.Builder b = MultiInferenceRequest.newBuilder().setInput(input(null, examples));
    for (Map.Entry<String, String> t : tasks.entrySet()) {
      b.addTasks(
          InferenceTask.newBuilder()
              .setModelSpec(specWithoutSignature().toBuilder().setSignatureName(t.getKey()))
              .setMethodName(t.getValue()));
    }
    return invoke(PredictionServiceGrpc.getMultiInferenceMethod(), b.build(), "multiInference");
  }

  private Input input(Map<String, ?> context, List<? extends Map<String, ?>> examples) {
    if (examples == null || examples.isEmpty()) {
      throw new IllegalArgumentException("no examples for model '" + model + "'");
    }
    List<Example> list = Examples.of(examples);
    if (context == null) {
      return Input.newBuilder().setExampleList(ExampleList.newBuilder().addAllExamples(list)).build();
    }
    Example ctx;
    try {
      ctx = Examples.of(context);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("context: " + e.getMessage(), e);
    }
    return Input.newBuilder()
        .setExampleListWithContext(
            ExampleListWithContext.newBuilder().setContext(ctx).addAllExamples(list))
        .build();
  }

  // ------------------------------------------------------------------------------------------
  // Metadata, status, config
  // ------------------------------------------------------------------------------------------

  /** The model's signatures (of the pinned version, else the latest). */
  public ModelMetadata metadata() {
    GetModelMetadataRequest req =
        GetModelMetadataRequest.newBuilder()
            .setModelSpec(specWithoutSignature())
            .addMetadataField("signature_def")
            .build();
    GetModelMetadataResponse r =
        invoke(PredictionServiceGrpc.getGetModelMetadataMethod(), req, "metadata");
    return new ModelMetadata(r.getModelSpec(), RestTransport.signatureDefs(r).getSignatureDefMap());
  }

  /** The state of every version of the model (or of the pinned version / label). */
  public List<VersionStatus> status() {
    GetModelStatusRequest req =
        GetModelStatusRequest.newBuilder().setModelSpec(specWithoutSignature()).build();
    GetModelStatusResponse r = invoke(ModelServiceGrpc.getGetModelStatusMethod(), req, "status");
    List<VersionStatus> out = new ArrayList<>();
    for (ModelVersionStatus s : r.getModelVersionStatusList()) {
      out.add(
          new VersionStatus(
              s.getVersion(),
              s.getState().name(),
              s.getStatus().getErrorCode().name(),
              s.getStatus().getErrorMessage()));
    }
    return out;
  }

  /**
   * Replaces the server's model config (TF Serving's ModelService.HandleReloadConfigRequest; gRPC
   * only). Models not in the new config are unloaded.
   *
   * @throws ServingException when the server refuses the config (with its message)
   */
  public void reloadConfig(ModelServerConfig config) {
    ReloadConfigRequest req = ReloadConfigRequest.newBuilder().setConfig(config).build();
    ReloadConfigResponse r =
        invoke(ModelServiceGrpc.getHandleReloadConfigRequestMethod(), req, "reloadConfig");
    var st = r.getStatus();
    if (st.getErrorCodeValue() != 0) {
      Status.Code code = Status.fromCodeValue(st.getErrorCodeValue()).getCode();
      throw new ServingException(
          code, target(), model, st.getErrorMessage(),
          "server at " + target() + " refused the model config (" + code + "): "
              + st.getErrorMessage(), null);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Calls, retries, errors
  // ------------------------------------------------------------------------------------------

  private void checkOpen() {
    if (lease.isClosed()) {
      throw new IllegalStateException(
          "client for model '" + model + "' at " + target() + " is closed");
    }
  }

  private Deadline newDeadline() {
    return deadline == null ? null : Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  private <Q extends Message, R extends Message> R invoke(
      MethodDescriptor<Q, R> method, Q request, String what) {
    checkOpen();
    Deadline d = newDeadline();
    return Retrying.run(
        retry, d,
        () -> lease.transport().call(method, request, d, restFormat),
        (e, attempts) -> error(e, what, attempts));
  }

  private <Q extends Message, R extends Message> CompletableFuture<R> invokeAsync(
      MethodDescriptor<Q, R> method, Q request, String what) {
    try {
      checkOpen();
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    Deadline d = newDeadline();
    return Retrying.runAsync(
        retry, d,
        () -> lease.transport().callAsync(method, request, d, restFormat),
        (e, attempts) -> error(e, what, attempts));
  }

  private String subject() {
    StringBuilder sb = new StringBuilder("model '").append(model).append('\'');
    if (version != null) sb.append(" version ").append(version);
    else if (versionLabel != null) sb.append(" version label '").append(versionLabel).append('\'');
    if (signature != null) sb.append(" signature '").append(signature).append('\'');
    return sb.toString();
  }

  private ServingException error(StatusRuntimeException e, String what, int attempts) {
    Status s = e.getStatus();
    String server = s.getDescription() == null ? "" : s.getDescription();
    String tail = server.isEmpty() ? "" : ": " + server;
    String target = target();
    String msg;
    String alts = altsFailure(s);
    if (alts != null) {
      // grpc-java reports a handshake the handshaker service refused as UNKNOWN, one it could not
      // reach as UNAVAILABLE; either way the words say what to change
      msg = "ALTS handshake with " + target + " failed (" + what + " on " + subject()
          + (attempts > 1 ? ", " + attempts + " attempts" : "") + "): " + alts;
      return new ServingException(s.getCode(), target, model, server, msg, e);
    }
    switch (s.getCode()) {
      case NOT_FOUND:
        msg = subject() + (version == null && versionLabel == null ? " (latest version)" : "")
            + " not found at " + target + tail;
        break;
      case INVALID_ARGUMENT:
        msg = what + " on " + subject() + " at " + target + " rejected (INVALID_ARGUMENT)" + tail;
        break;
      case DEADLINE_EXCEEDED:
        msg = what + " on " + subject() + " at " + target + " did not finish within "
            + (deadline == null ? "the server's deadline" : "the deadline of " + format(deadline))
            + (attempts > 1 ? " (" + attempts + " attempts)" : "") + " (DEADLINE_EXCEEDED)" + tail;
        break;
      case UNAVAILABLE:
        String handshake = tlsFailure(s.getCause());
        msg = handshake != null
            ? "TLS handshake with " + target + " failed (" + what + " on " + subject()
                + (attempts > 1 ? ", " + attempts + " attempts" : "") + "): "
                + handshake
            : "server at " + target + " is unavailable (" + what + " on " + subject()
                + (attempts > 1 ? ", " + attempts + " attempts" : "") + ")" + tail;
        break;
      default:
        msg = what + " on " + subject() + " at " + target + " failed (" + s.getCode() + ")" + tail;
    }
    return new ServingException(s.getCode(), target, model, server, msg, e);
  }

  /**
   * What went wrong in an ALTS handshake, in words that say what to change; null when the call
   * did not fail in one. grpc-java throws a {@link GeneralSecurityException} when the handshaker
   * service refuses the handshake (status UNKNOWN), and names its handshake handler ({@code
   * TsiHandshakeHandler}, ALTS's only) in the description of a connection that failed while the
   * handshake ran (status UNAVAILABLE).
   */
  static String altsFailure(Status status) {
    String deepest = null;
    String connect = null; // the outermost connect failure's message names the address
    for (Throwable t = status.getCause(); t != null && t.getCause() != t; t = t.getCause()) {
      // exactly the class grpc-java's ALTS code throws (a CertificateException is a TLS failure)
      if (t.getClass() == GeneralSecurityException.class && t.getMessage() != null
          && t.getMessage().startsWith("Handshaker service error: ")) {
        return "the ALTS handshaker service refused it (a target service account the server does"
            + " not run as refuses every handshake: ConnectionOptions.alts(Alts.targeting(...))): "
            + t.getMessage().substring("Handshaker service error: ".length());
      }
      if (t instanceof ConnectException && connect == null) connect = t.getMessage();
      if (t.getMessage() != null) deepest = t.getMessage();
    }
    String description = status.getDescription();
    if (description == null || !description.contains("TsiHandshakeHandler")) return null;
    if (connect != null) {
      return "cannot reach the ALTS handshaker service (its address: Alts.withHandshakerService,"
          + " Google Cloud's metadata server by default): " + connect;
    }
    return "the connection ended during the handshake (the server's handshaker may have refused"
        + " this client, or the server does not serve ALTS): "
        + (deepest != null ? deepest : description.lines().findFirst().orElse(description));
  }

  /**
   * What went wrong in a TLS handshake, from the exceptions under an UNAVAILABLE status, in words
   * that say what to change; null when the failure was not a TLS handshake.
   */
  static String tlsFailure(Throwable cause) {
    boolean ssl = false;
    StringBuilder all = new StringBuilder();
    String detail = null; // the detail shown: the deepest message under the first TLS exception
    for (Throwable t = cause; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SSLException
          || t instanceof CertificateException) {
        ssl = true;
      }
      // the deepest message says most ("unable to find valid certification path ..."); the
      // outer ones are the engine's ("General OpenSslEngine problem")
      if (ssl && t.getMessage() != null) detail = t.getMessage();
      if (t.getMessage() != null) all.append(t.getMessage()).append('\n');
    }
    if (!ssl) return null;
    String text = all.toString();
    if (text.contains("PKIX path") || text.contains("unable to find valid certification path")
        || text.contains("CERTIFICATE_VERIFY_FAILED") && !text.contains("subject alternative")) {
      return "the server's certificate is not signed by a CA this client trusts (give the CA that"
          + " signed it: ConnectionOptions.tls(Tls.trusting(caPem))): " + detail;
    }
    if (text.contains("subject alternative") || text.contains("No name matching")) {
      return "the server's certificate does not name the host this client connected to (use the"
          + " name it has, or Tls.withAuthority(name)): " + detail;
    }
    if (text.contains("CERTIFICATE_REQUIRED") || text.contains("BAD_CERTIFICATE")
        || text.contains("UNKNOWN_CA") || text.contains("certificate_required")
        || text.contains("bad_certificate") || text.contains("unknown_ca")) {
      return "the server requires a client certificate signed by its CA (TF Serving's ssl_config"
          + " client_verify and custom_ca) and refused what this client presented (give one:"
          + " Tls.withClientCertificate(certPem, keyPem)): " + detail;
    }
    return detail == null ? "TLS error" : detail;
  }

  private static String format(Duration d) {
    if (d.toMillis() < 10_000 && d.toNanos() % 1_000_000 == 0) return d.toMillis() + " ms";
    if (d.toNanos() % 1_000_000_000 == 0) return d.toSeconds() + " s";
    return d.toMillis() + " ms";
  }

  /**
   * Closes this client (and every instance derived from it); the connection closes when no other
   * client of the same target and options uses it. Idempotent.
   */
  @Override
  public void close() {
    lease.close();
  }

  /** E.g. {@code ServingModel[grpc localhost:8500 model 'half_plus_two' version 123]}. */
  @Override
  public String toString() {
    return "ServingModel[" + (isRest() ? "rest " : "grpc ") + target() + " " + subject()
        + (outputs.isEmpty() ? "" : " outputs " + outputs)
        + (deadline == null ? "" : " deadline " + format(deadline))
        + (lease.isClosed() ? " closed" : "") + "]";
  }
}
