package dev.tfkit.server.api;

import io.grpc.stub.StreamObserver;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/** TF Serving's gRPC {@code PredictionService} over {@link ServingApi}. */
public final class PredictionServiceImpl extends PredictionServiceGrpc.PredictionServiceImplBase {
  private final ServingApi api;

  public PredictionServiceImpl(ServingApi api) {
    this.api = api;
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> out) {
    GrpcErrors.answer(out, () -> api.predict(request));
  }

  @Override
  public void classify(ClassificationRequest request, StreamObserver<ClassificationResponse> out) {
    GrpcErrors.answer(out, () -> api.classify(request));
  }

  @Override
  public void regress(RegressionRequest request, StreamObserver<RegressionResponse> out) {
    GrpcErrors.answer(out, () -> api.regress(request));
  }

  @Override
  public void multiInference(
      MultiInferenceRequest request, StreamObserver<MultiInferenceResponse> out) {
    GrpcErrors.answer(out, () -> api.multiInference(request));
  }

  @Override
  public void getModelMetadata(
      GetModelMetadataRequest request, StreamObserver<GetModelMetadataResponse> out) {
    GrpcErrors.answer(out, () -> api.metadata(request));
  }
}
