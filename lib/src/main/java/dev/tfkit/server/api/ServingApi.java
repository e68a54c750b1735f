package dev.tfkit.server.api;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.server.lifecycle.ModelConfig;
import dev.tfkit.server.lifecycle.ModelManager;
import dev.tfkit.server.lifecycle.ServableHandle;
import dev.tfkit.server.lifecycle.ServableRequest;
import dev.tfkit.server.lifecycle.ServableStatus;
import dev.tfkit.server.logging.RequestLogs;
import dev.tfkit.server.tensorflow.RunStats;
import dev.tfkit.server.tensorflow.SavedModelServable;
import dev.tfkit.server.util.RequestException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.error.Code;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Inference.InferenceResult;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelManagement.ReloadConfigResponse;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionLogOuterClass.ClassifyLog;
import tensorflow.serving.PredictionLogOuterClass.MultiInferenceLog;
import tensorflow.serving.PredictionLogOuterClass.PredictLog;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;
import tensorflow.serving.PredictionLogOuterClass.RegressLog;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;
import tensorflow.serving.Status;

/**
 * TF Serving's API methods on its request and response messages, independent of transport: the
 * gRPC services and the REST gateway both call this, so both answer alike. Errors are {@link
 * RequestException}s with TF Serving's codes and wording.
 */
public final class ServingApi {
  /** The longest model name a request may carry (a config's names are far shorter in practice). */
  public static final int MAX_MODEL_NAME_CHARS = 1024;

  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");

  /**
   * The metadata key (beside TF Serving's {@code signature_def}) under which tfkit lists the
   * signatures of a version that cannot run, each with the reason; absent when all can.
   */
  public static final String SIGNATURE_ERRORS = "tfkit_signature_errors";

  private final ModelManager<SavedModelServable> manager;
  private volatile RequestLogs requestLogs;
  private final Metrics metrics;
  private final Path configBaseDir;

  public ServingApi(ModelManager<SavedModelServable> manager, Metrics metrics, Path configBaseDir) {
    this.manager = manager;
    this.metrics = metrics;
    this.configBaseDir = configBaseDir;
  }

  /** Where sampled requests are logged (the models' logging_config); null: nowhere. */
  public void requestLogs(RequestLogs logs) {
    this.requestLogs = logs;
  }

  public RequestLogs requestLogs() {
    return requestLogs;
  }

  private void logPredict(PredictRequest req, PredictResponse resp) {
    log(
        resp.getModelSpec(),
        () -> PredictionLog.newBuilder().setPredictLog(PredictLog.newBuilder().setRequest(req).setResponse(resp)));
  }

  /** Hands an answered request to the model's request log, if it has one; never fails the request. */
  private void log(ModelSpec answered, Supplier<PredictionLog.Builder> record) {
    RequestLogs logs = requestLogs;
    if (logs == null || !logs.enabled(answered.getName())) {
      return;
    }
    try {
      logs.log(answered.getName(), answered, record.get());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "request log of model '" + answered.getName() + "': " + e);
    }
  }

  public Metrics metrics() {
    return metrics;
  }

  public ModelManager<SavedModelServable> manager() {
    return manager;
  }

  // ---------------------------------------------------------------- PredictionService

  public PredictResponse predict(PredictRequest req) {
    return timed(
        req.getModelSpec().getName(),
        "Predict",
        () -> {
          try (ServableHandle<SavedModelServable> h = acquire(req.hasModelSpec(), req.getModelSpec())) {
            String sig = SavedModelServable.resolveName(req.getModelSpec().getSignatureName());
            Map<String, TensorProto> out =
                h.servable()
                    .predict(sig, req.getInputsMap(), req.getOutputFilterList());
            PredictResponse resp =
                PredictResponse.newBuilder()
                    .setModelSpec(spec(req.getModelSpec().getName(), h.version(), sig))
                    .putAllOutputs(out)
                    .build();
            logPredict(req, resp);
            return resp;
          }
        });
  }

  /**
   * A Predict whose request is built from the chosen version's servable (the REST gateway reads
   * JSON with the signature's dtypes); {@code build} may throw IllegalArgumentException for a bad
   * body, answered as INVALID_ARGUMENT.
   */
  public PredictResponse predict(
      ModelSpec spec, Function<SavedModelServable, PredictRequest> build) {
    return timed(
        spec.getName(),
        "Predict",
        () -> {
          try (ServableHandle<SavedModelServable> h = acquire(true, spec)) {
            PredictRequest req;
            try {
              req = build.apply(h.servable());
            } catch (IllegalArgumentException e) {
              throw RequestException.invalidArgument(e.getMessage());
            }
            String sig = SavedModelServable.resolveName(req.getModelSpec().getSignatureName());
            Map<String, TensorProto> out =
                h.servable().predict(sig, req.getInputsMap(), req.getOutputFilterList());
            PredictResponse resp =
                PredictResponse.newBuilder()
                    .setModelSpec(spec(spec.getName(), h.version(), sig))
                    .putAllOutputs(out)
                    .build();
            logPredict(req, resp);
            return resp;
          }
        });
  }

  public ClassificationResponse classify(ClassificationRequest req) {
    return timed(
        req.getModelSpec().getName(),
        "Classify",
        () -> {
          try (var h = acquire(req.hasModelSpec(), req.getModelSpec())) {
            String sig = SavedModelServable.resolveName(req.getModelSpec().getSignatureName());
            ClassificationResponse resp =
                ClassificationResponse.newBuilder()
                    .setModelSpec(spec(req.getModelSpec().getName(), h.version(), sig))
                    .setResult(h.servable().classify(sig, req.getInput()))
                    .build();
            log(
                resp.getModelSpec(),
                () ->
                    PredictionLog.newBuilder()
                        .setClassifyLog(ClassifyLog.newBuilder().setRequest(req).setResponse(resp)));
            return resp;
          }
        });
  }

  public RegressionResponse regress(RegressionRequest req) {
    return timed(
        req.getModelSpec().getName(),
        "Regress",
        () -> {
          try (var h = acquire(req.hasModelSpec(), req.getModelSpec())) {
            String sig = SavedModelServable.resolveName(req.getModelSpec().getSignatureName());
            RegressionResponse resp =
                RegressionResponse.newBuilder()
                    .setModelSpec(spec(req.getModelSpec().getName(), h.version(), sig))
                    .setResult(h.servable().regress(sig, req.getInput()))
                    .build();
            log(
                resp.getModelSpec(),
                () ->
                    PredictionLog.newBuilder()
                        .setRegressLog(RegressLog.newBuilder().setRequest(req).setResponse(resp)));
            return resp;
          }
        });
  }

  public MultiInferenceResponse multiInference(MultiInferenceRequest req) {
    String model = req.getTasksCount() == 0 ? "" : req.getTasks(0).getModelSpec().getName();
    return timed(
        model,
        "MultiInference",
        () -> {
          if (req.getTasksCount() == 0) {
            throw RequestException.invalidArgument("MultiInferenceRequest must specify at least one task");
          }
          Set<String> signatures = new HashSet<>();
          ModelSpec first = req.getTasks(0).getModelSpec();
          for (InferenceTask t : req.getTasksList()) {
            if (!t.getModelSpec().getName().equals(first.getName())) {
              throw RequestException.invalidArgument(
                  "All ModelSpecs in a MultiInferenceRequest must access the same model name.");
            }
            String sig = SavedModelServable.resolveName(t.getModelSpec().getSignatureName());
            if (!signatures.add(sig)) {
              throw RequestException.invalidArgument(
                  "Duplicate evaluation of signature: " + RequestException.echo(sig));
            }
          }
          // One version for all tasks, as TF Serving resolves the first task's spec once.
          try (var h = acquire(true, first)) {
            MultiInferenceResponse.Builder resp = MultiInferenceResponse.newBuilder();
            for (InferenceTask t : req.getTasksList()) {
              String sig = SavedModelServable.resolveName(t.getModelSpec().getSignatureName());
              InferenceResult.Builder r =
                  InferenceResult.newBuilder().setModelSpec(spec(first.getName(), h.version(), sig));
              switch (t.getMethodName()) {
                case SavedModelServable.CLASSIFY_METHOD ->
                    r.setClassificationResult(h.servable().classify(sig, req.getInput()));
                case SavedModelServable.REGRESS_METHOD ->
                    r.setRegressionResult(h.servable().regress(sig, req.getInput()));
                default ->
                    throw new RequestException(
                        RequestException.Code.UNIMPLEMENTED,
                        "Unsupported signature method_name: " + RequestException.echo(t.getMethodName()));
              }
              resp.addResults(r);
            }
            MultiInferenceResponse done = resp.build();
            log(
                spec(first.getName(), h.version(), SavedModelServable.resolveName(first.getSignatureName())),
                () ->
                    PredictionLog.newBuilder()
                        .setMultiInferenceLog(
                            MultiInferenceLog.newBuilder().setRequest(req).setResponse(done)));
            return done;
          }
        });
  }

  public GetModelMetadataResponse metadata(GetModelMetadataRequest req) {
    return timed(
        req.getModelSpec().getName(),
        "GetModelMetadata",
        () -> {
          if (req.getMetadataFieldCount() == 0) {
            throw RequestException.invalidArgument(
                "GetModelMetadataRequest must specify at least one metadata_field");
          }
          for (String f : req.getMetadataFieldList()) {
            if (!f.equals("signature_def")) {
              throw RequestException.invalidArgument(
                  "Metadata field " + RequestException.echo(f) + " is not supported");
            }
          }
          try (var h = acquire(req.hasModelSpec(), req.getModelSpec())) {
            GetModelMetadataResponse.Builder r =
                GetModelMetadataResponse.newBuilder()
                    .setModelSpec(
                        ModelSpec.newBuilder()
                            .setName(req.getModelSpec().getName())
                            .setVersion(Int64Value.of(h.version())))
                    .putMetadata("signature_def", Any.pack(h.servable().metadataSignatures()));
            Map<String, String> broken = h.servable().brokenSignatures();
            if (!broken.isEmpty()) {
              // tfkit's addition, only for such models: which listed signatures cannot run, and why
              // (a google.protobuf.Struct; clients that read "signature_def" are unaffected).
              Struct.Builder st = Struct.newBuilder();
              broken.forEach(
                  (k, v) -> st.putFields(k, Value.newBuilder().setStringValue(v).build()));
              r.putMetadata(SIGNATURE_ERRORS, Any.pack(st.build()));
            }
            return r.build();
          }
        });
  }

  /** The metadata's signatures of the version a spec selects (for the REST gateway). */
  public GetModelMetadataResponse metadata(ModelSpec spec) {
    return metadata(
        GetModelMetadataRequest.newBuilder().setModelSpec(spec).addMetadataField("signature_def").build());
  }

  // ---------------------------------------------------------------- ModelService

  public GetModelStatusResponse status(GetModelStatusRequest req) {
    return timed(
        req.getModelSpec().getName(),
        "GetModelStatus",
        () -> {
          if (!req.hasModelSpec()) {
            throw RequestException.invalidArgument("Missing ModelSpec");
          }
          ModelSpec spec = req.getModelSpec();
          String name = spec.getName();
          checkName(name);
          OptionalLong version = OptionalLong.empty();
          if (spec.hasVersion()) {
            version = OptionalLong.of(spec.getVersion().getValue());
          } else if (spec.getVersionChoiceCase() == ModelSpec.VersionChoiceCase.VERSION_LABEL) {
            String label = spec.getVersionLabel();
            Optional<Long> v = manager.versionForLabel(name, label);
            if (v.isEmpty()) {
              throw RequestException.invalidArgument(
                  "Unrecognized servable version label: " + RequestException.echo(label));
            }
            version = OptionalLong.of(v.get());
          }
          List<ServableStatus> all = manager.status(name);
          if (all.isEmpty()) {
            throw RequestException.notFound(
                "Could not find any versions of model " + RequestException.echo(name));
          }
          GetModelStatusResponse.Builder resp = GetModelStatusResponse.newBuilder();
          for (ServableStatus s : all) {
            if (version.isEmpty() || version.getAsLong() == s.version()) {
              resp.addModelVersionStatus(toProto(s));
            }
          }
          if (resp.getModelVersionStatusCount() == 0) {
            throw RequestException.notFound(
                "Could not find version " + version.getAsLong() + " of model " + RequestException.echo(name));
          }
          return resp.build();
        });
  }

  static ModelVersionStatus toProto(ServableStatus s) {
    var status = Status.StatusProto.newBuilder();
    if (s.error().isPresent()) {
      // The load error's own code, as TF Serving reports it (same names and numbers as gRPC's).
      Code code =
          Code.valueOf(s.code().orElse(RequestException.Code.UNKNOWN).name());
      status.setErrorCode(code).setErrorMessage(s.error().get());
    }
    return ModelVersionStatus.newBuilder()
        .setVersion(s.version())
        .setState(ModelVersionStatus.State.forNumber(s.state().number()))
        .setStatus(status)
        .build();
  }

  /**
   * Applies a new model configuration: added models load, removed ones unload; returns once the
   * new models are loaded (or failed), like TF Serving's HandleReloadConfigRequest.
   */
  public ReloadConfigResponse reload(ReloadConfigRequest req) {
    return timed(
        "",
        "HandleReloadConfigRequest",
        () -> {
          List<ModelConfig> configs;
          try {
            configs = ServerConfigs.models(req.getConfig(), configBaseDir);
          } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof RequestException r) {
              throw new RequestException(r.code(), e.getMessage());
            }
            throw RequestException.invalidArgument(e.getMessage());
          }
          try {
            manager.setConfig(configs);
          } catch (IllegalArgumentException e) {
            throw RequestException.invalidArgument(e.getMessage());
          }
          RequestLogs logs = requestLogs;
          if (logs != null) {
            logs.configure(req.getConfig().getModelConfigList().getConfigList(), configBaseDir);
          }
          return ReloadConfigResponse.newBuilder()
              .setStatus(Status.StatusProto.newBuilder())
              .build();
        });
  }

  // ---------------------------------------------------------------- helpers

  /**
   * The run statistics of the version and signature {@code spec} reaches now, or null when it
   * reaches none (the request will fail). Holds nothing: for placement decisions.
   */
  RunStats runStats(ModelSpec spec) {
    if (spec.getName().isEmpty()) {
      return null;
    }
    return manager.peek(request(spec)).map(s -> s.runStats(spec.getSignatureName())).orElse(null);
  }

  private static ServableRequest request(ModelSpec spec) {
    return switch (spec.getVersionChoiceCase()) {
      case VERSION -> ServableRequest.specific(spec.getName(), spec.getVersion().getValue());
      case VERSION_LABEL -> ServableRequest.labeled(spec.getName(), spec.getVersionLabel());
      default -> ServableRequest.latest(spec.getName());
    };
  }

  private ServableHandle<SavedModelServable> acquire(boolean hasSpec, ModelSpec spec) {
    if (!hasSpec) {
      throw RequestException.invalidArgument("Missing ModelSpec");
    }
    checkName(spec.getName());
    return manager.acquire(request(spec));
  }

  /**
   * Refuses a model name no model can have before it is looked up or repeated in an error: empty,
   * longer than {@value #MAX_MODEL_NAME_CHARS} characters, or holding control characters.
   */
  static void checkName(String name) {
    if (name.isEmpty()) {
      throw RequestException.invalidArgument("ModelSpec has no name specified.");
    }
    if (name.length() > MAX_MODEL_NAME_CHARS) {
      throw RequestException.invalidArgument(
          "model name is " + name.length() + " characters long; the limit is " + MAX_MODEL_NAME_CHARS);
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw RequestException.invalidArgument(
            "model name " + RequestException.echo(name) + " has a control character at index " + i);
      }
    }
  }

  static ModelSpec spec(String name, long version, String signature) {
    return ModelSpec.newBuilder()
        .setName(name)
        .setVersion(Int64Value.of(version))
        .setSignatureName(signature)
        .build();
  }

  private <T> T timed(String model, String api, Supplier<T> call) {
    long start = System.nanoTime();
    boolean ok = false;
    try {
      T out = call.get();
      ok = true;
      return out;
    } catch (RequestException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      // Anything unexpected still leaves as a clean INTERNAL error, never a raw trace.
      throw RequestException.internal(api + " failed: " + e, e);
    } finally {
      // Names of models never configured share one series, so junk requests cannot grow it.
      String label = manager.knows(model) ? model : "";
      metrics.record(label, api, ok, System.nanoTime() - start);
    }
  }
}
