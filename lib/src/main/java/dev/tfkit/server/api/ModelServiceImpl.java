package dev.tfkit.server.api;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelManagement.ReloadConfigResponse;
import tensorflow.serving.ModelServiceGrpc;

/** TF Serving's gRPC {@code ModelService} (status and config reload) over {@link ServingApi}. */
public final class ModelServiceImpl extends ModelServiceGrpc.ModelServiceImplBase {
  private final ServingApi api;
  private final Consumer<ReloadConfigRequest> onReload;
  private final Executor workers;

  /**
   * @param onReload told about each reload that succeeded (the server's next config-file poll
   *     applies the file again, as TF Serving's does)
   * @param workers where the calls run: a reload waits for models to load, which must not hold
   *     the transport thread the call arrived on
   */
  public ModelServiceImpl(
      ServingApi api,
      Consumer<ReloadConfigRequest> onReload,
      Executor workers) {
    this.api = api;
    this.onReload = onReload;
    this.workers = workers;
  }

  @Override
  public void getModelStatus(
      GetModelStatusRequest request, StreamObserver<GetModelStatusResponse> out) {
    GrpcErrors.answerOn(workers, out, () -> api.status(request), () -> {});
  }

  @Override
  public void handleReloadConfigRequest(
      ReloadConfigRequest request, StreamObserver<ReloadConfigResponse> out) {
    GrpcErrors.answerOn(
        workers,
        out,
        () -> {
          ReloadConfigResponse r = api.reload(request);
          onReload.accept(request);
          return r;
        },
        () -> {});
  }
}
