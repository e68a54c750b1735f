package dev.tfkit.server.api;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/** TF Serving's gRPC {@code PredictionService} over {@link ServingApi}. */
public final class PredictionServiceImpl extends PredictionServiceGrpc.PredictionServiceImplBase {
  private final ServingApi api;
  private final RunPlacement placement;
  private final Executor workers;

  /**
   * @param workers where requests run that do not run on the transport thread (see {@link
   *     RunPlacement}); every method is expected to be called on the transport thread (grpc-java's
   *     direct executor), and GetModelMetadata always moves to a worker
   * @param inlineThresholdNanos a model whose recent requests all took less runs inline (0: never)
   */
  public PredictionServiceImpl(
      ServingApi api, Executor workers, long inlineThresholdNanos) {
    this.api = api;
    this.placement = new RunPlacement(api, workers, inlineThresholdNanos);
    this.workers = workers;
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> out) {
    placement.run(request.getModelSpec(), out, () -> api.predict(request));
  }

  @Override
  public void classify(ClassificationRequest request, StreamObserver<ClassificationResponse> out) {
    placement.run(request.getModelSpec(), out, () -> api.classify(request));
  }

  @Override
  public void regress(RegressionRequest request, StreamObserver<RegressionResponse> out) {
    placement.run(request.getModelSpec(), out, () -> api.regress(request));
  }

  @Override
  public void multiInference(
      MultiInferenceRequest request, StreamObserver<MultiInferenceResponse> out) {
    placement.run(
        request.getTasksCount() == 0
            ? ModelSpec.getDefaultInstance()
            : request.getTasks(0).getModelSpec(),
        out,
        () -> api.multiInference(request));
  }

  @Override
  public void getModelMetadata(
      GetModelMetadataRequest request, StreamObserver<GetModelMetadataResponse> out) {
    GrpcErrors.answerOn(workers, out, () -> api.metadata(request), () -> {});
  }
}
