package dev.tfkit.testing;

import dev.tfkit.server.EmbeddedServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.ModelServiceGrpc.ModelServiceBlockingStub;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.PredictionServiceGrpc.PredictionServiceBlockingStub;

/**
 * A plaintext gRPC channel to a test's {@link EmbeddedServer}, with blocking stubs for its two
 * services; closing it shuts the channel down (the server stays the test's to close). Tests that
 * need a special channel (TLS, ALTS, a Unix socket, interceptors, message-size limits) build their
 * own.
 */
public final class ServedChannel implements AutoCloseable {
  private final ManagedChannel channel;
  private final PredictionServiceBlockingStub predict;
  private final ModelServiceBlockingStub models;

  private ServedChannel(ManagedChannel channel) {
    this.channel = channel;
    this.predict = PredictionServiceGrpc.newBlockingStub(channel);
    this.models = ModelServiceGrpc.newBlockingStub(channel);
  }

  /** Opens a plaintext channel to {@code server}'s gRPC port. */
  public static ServedChannel to(EmbeddedServer server) {
    return new ServedChannel(ManagedChannelBuilder.forTarget(server.grpcTarget()).usePlaintext().build());
  }

  public ManagedChannel channel() {
    return channel;
  }

  /** PredictionService: predict, classify, regress, multiInference, getModelMetadata. */
  public PredictionServiceBlockingStub predict() {
    return predict;
  }

  /** ModelService: getModelStatus, handleReloadConfigRequest. */
  public ModelServiceBlockingStub models() {
    return models;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
