package dev.tfkit.serving;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.Classification;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Inference.InferenceResult;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
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
import tensorflow.serving.RegressionOuterClass.RegressionResult;

/**
 * A fake TF Serving for unit tests of the client's logic. Models by name:
 *
 * <ul>
 *   <li>{@code echo}: every input comes back as the output of the same key (after any filter);
 *   <li>{@code affine}: float input {@code x} → {@code y = 2x + 1} (float, typed fields) and
 *       string input {@code tag} → output {@code tag} unchanged;
 *   <li>{@code slow}: answers only when the call is cancelled (a client deadline);
 *   <li>{@code flaky}: fails {@code UNAVAILABLE} {@link #failuresLeft} times, then echoes;
 *   <li>{@code picky}: always {@code INVALID_ARGUMENT} with a message naming the input;
 *   <li>anything else: {@code NOT_FOUND}, worded as TF Serving does.
 * </ul>
 *
 * Answers carry version 123 unless the request pinned one.
 */
final class FakeServing {
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger failuresLeft = new AtomicInteger();
  final List<PredictRequest> predictRequests = new CopyOnWriteArrayList<>();
  final List<ModelServerConfig> configs = new CopyOnWriteArrayList<>();
  final CountDownLatch slowReleased = new CountDownLatch(1);

  static ModelSpec answered(ModelSpec asked) {
    ModelSpec.Builder b = asked.toBuilder();
    if (!asked.hasVersion()) b.setVersion(Int64Value.of(123));
    b.clearVersionLabel();
    if (asked.getSignatureName().isEmpty()) b.setSignatureName("serving_default");
    return b.build();
  }

  private static boolean notFound(ModelSpec spec, StreamObserver<?> out) {
    String n = spec.getName();
    if (n.equals("echo") || n.equals("affine") || n.equals("slow") || n.equals("flaky")
        || n.equals("picky")) {
      return false;
    }
    out.onError(Status.NOT_FOUND
        .withDescription("Servable not found for request: "
            + (spec.hasVersion() ? "Specific(" + n + ", " + spec.getVersion().getValue() + ")"
                : "Latest(" + n + ")"))
        .asRuntimeException());
    return true;
  }

  BindableService predictionService() {
    return new PredictionServiceGrpc.PredictionServiceImplBase() {
      @Override
      public void predict(PredictRequest req, StreamObserver<PredictResponse> out) {
        calls.incrementAndGet();
        predictRequests.add(req);
        ModelSpec spec = req.getModelSpec();
        if (notFound(spec, out)) return;
        switch (spec.getName()) {
          case "slow": {
            // wait for the client's deadline to cancel the call: no sleeping on a clock
            Context ctx = Context.current();
            CountDownLatch cancelled = new CountDownLatch(1);
            ctx.addListener(c -> cancelled.countDown(), Runnable::run);
            try {
              while (!cancelled.await(10, TimeUnit.MILLISECONDS)) {
                if (slowReleased.getCount() == 0) break;
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.onError(Status.CANCELLED.asRuntimeException());
            return;
          }
          case "flaky":
            if (failuresLeft.getAndDecrement() > 0) {
              out.onError(Status.UNAVAILABLE.withDescription("fake server restarting")
                  .asRuntimeException());
              return;
            }
            break;
          case "picky":
            out.onError(Status.INVALID_ARGUMENT
                .withDescription("input tensor alias not found in signature: "
                    + String.join(",", req.getInputsMap().keySet())
                    + ". Inputs expected to be in the set {x}.")
                .asRuntimeException());
            return;
          default:
            break;
        }
        PredictResponse.Builder r = PredictResponse.newBuilder().setModelSpec(answered(spec));
        if (spec.getName().equals("affine")) {
          TensorProto x = req.getInputsOrThrow("x");
          int n = 1;
          for (TensorShapeProto.Dim d : x.getTensorShape().getDimList()) n *= (int) d.getSize();
          ByteBuffer bb = x.getTensorContent().asReadOnlyByteBuffer()
              .order(ByteOrder.LITTLE_ENDIAN);
          TensorProto.Builder y = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
              .setTensorShape(x.getTensorShape());
          for (int i = 0; i < n; i++) {
            float v = x.getTensorContent().isEmpty() ? x.getFloatVal(i) : bb.getFloat(i * 4);
            y.addFloatVal(2 * v + 1);
          }
          r.putOutputs("y", y.build());
          if (req.containsInputs("tag")) r.putOutputs("tag", req.getInputsOrThrow("tag"));
        } else {
          for (Map.Entry<String, TensorProto> e : req.getInputsMap().entrySet()) {
            if (req.getOutputFilterCount() == 0 || req.getOutputFilterList().contains(e.getKey())) {
              r.putOutputs(e.getKey(), e.getValue());
            }
          }
        }
        out.onNext(r.build());
        out.onCompleted();
      }

      @Override
      public void classify(ClassificationRequest req, StreamObserver<ClassificationResponse> out) {
        calls.incrementAndGet();
        if (notFound(req.getModelSpec(), out)) return;
        // one class per example: label = its "word" feature, score = its "score" feature
        ClassificationResult.Builder result = ClassificationResult.newBuilder();
        for (Example e : examples(req.getInput())) {
          Map<String, Feature> f = e.getFeatures().getFeatureMap();
          result.addClassifications(Classifications.newBuilder().addClasses(
              Classification.Class.newBuilder()
                  .setLabel(f.get("word").getBytesList().getValue(0).toStringUtf8())
                  .setScore(f.get("score").getFloatList().getValue(0))));
        }
        out.onNext(ClassificationResponse.newBuilder().setModelSpec(answered(req.getModelSpec()))
            .setResult(result).build());
        out.onCompleted();
      }

      @Override
      public void regress(RegressionRequest req, StreamObserver<RegressionResponse> out) {
        calls.incrementAndGet();
        if (notFound(req.getModelSpec(), out)) return;
        out.onNext(RegressionResponse.newBuilder().setModelSpec(answered(req.getModelSpec()))
            .setResult(regression(req.getInput())).build());
        out.onCompleted();
      }

      @Override
      public void multiInference(MultiInferenceRequest req,
          StreamObserver<MultiInferenceResponse> out) {
        calls.incrementAndGet();
        MultiInferenceResponse.Builder r = MultiInferenceResponse.newBuilder();
        for (InferenceTask t : req.getTasksList()) {
          r.addResults(InferenceResult.newBuilder().setModelSpec(answered(t.getModelSpec()))
              .setRegressionResult(regression(req.getInput())));
        }
        out.onNext(r.build());
        out.onCompleted();
      }

      @Override
      public void getModelMetadata(GetModelMetadataRequest req,
          StreamObserver<GetModelMetadataResponse> out) {
        calls.incrementAndGet();
        if (notFound(req.getModelSpec(), out)) return;
        out.onNext(GetModelMetadataResponse.newBuilder()
            .setModelSpec(answered(req.getModelSpec()).toBuilder().clearSignatureName())
            .putMetadata("signature_def", Any.pack(signatures()))
            .build());
        out.onCompleted();
      }
    };
  }

  /** sum of each example's (and the context's) float features: a regression to check. */
  private static RegressionResult regression(Input input) {
    RegressionResult.Builder result = RegressionResult.newBuilder();
    float ctx = 0;
    if (input.hasExampleListWithContext()) {
      ctx = sum(input.getExampleListWithContext().getContext());
    }
    for (Example e : examples(input)) result.addRegressionsBuilder().setValue(ctx + sum(e));
    return result.build();
  }

  private static float sum(Example e) {
    float s = 0;
    for (Feature f : e.getFeatures().getFeatureMap().values()) {
      for (float v : f.getFloatList().getValueList()) s += v;
      for (long v : f.getInt64List().getValueList()) s += v;
    }
    return s;
  }

  private static List<Example> examples(Input input) {
    return input.hasExampleListWithContext()
        ? input.getExampleListWithContext().getExamplesList()
        : input.getExampleList().getExamplesList();
  }

  /** The affine model's signatures. */
  static SignatureDefMap signatures() {
    TensorShapeProto batch = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(-1)).build();
    SignatureDef predict = SignatureDef.newBuilder()
        .setMethodName("tensorflow/serving/predict")
        .putInputs("x", TensorInfo.newBuilder().setName("x:0").setDtype(DataType.DT_FLOAT)
            .setTensorShape(batch).build())
        .putOutputs("y", TensorInfo.newBuilder().setName("y:0").setDtype(DataType.DT_FLOAT)
            .setTensorShape(batch).build())
        .build();
    SignatureDef regress = SignatureDef.newBuilder()
        .setMethodName("tensorflow/serving/regress")
        .putInputs("inputs", TensorInfo.newBuilder().setName("tf_example:0")
            .setDtype(DataType.DT_STRING).build())
        .putOutputs("outputs", TensorInfo.newBuilder().setName("y:0")
            .setDtype(DataType.DT_FLOAT).build())
        .build();
    return SignatureDefMap.newBuilder().putSignatureDef("serving_default", predict)
        .putSignatureDef("regress_x_to_y", regress).build();
  }

  BindableService modelService() {
    return new ModelServiceGrpc.ModelServiceImplBase() {
      @Override
      public void getModelStatus(GetModelStatusRequest req,
          StreamObserver<GetModelStatusResponse> out) {
        calls.incrementAndGet();
        if (notFound(req.getModelSpec(), out)) return;
        GetModelStatusResponse.Builder r = GetModelStatusResponse.newBuilder();
        r.addModelVersionStatus(ModelVersionStatus.newBuilder().setVersion(123)
            .setState(ModelVersionStatus.State.AVAILABLE));
        r.addModelVersionStatus(ModelVersionStatus.newBuilder().setVersion(124)
            .setState(ModelVersionStatus.State.END)
            .setStatus(tensorflow.serving.Status.StatusProto.newBuilder()
                .setErrorCodeValue(2).setErrorMessage("failed to load: bad graph")));
        out.onNext(r.build());
        out.onCompleted();
      }

      @Override
      public void handleReloadConfigRequest(ReloadConfigRequest req,
          StreamObserver<ReloadConfigResponse> out) {
        calls.incrementAndGet();
        ReloadConfigResponse.Builder r = ReloadConfigResponse.newBuilder();
        if (req.getConfig().getModelConfigList().getConfigCount() == 0) {
          r.setStatus(tensorflow.serving.Status.StatusProto.newBuilder().setErrorCodeValue(3)
              .setErrorMessage("config has no models"));
        } else {
          configs.add(req.getConfig());
        }
        out.onNext(r.build());
        out.onCompleted();
      }
    };
  }
}
