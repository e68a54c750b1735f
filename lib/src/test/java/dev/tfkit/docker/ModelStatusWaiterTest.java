package dev.tfkit.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.GetModelStatus.ModelVersionStatus.State;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Status.StatusProto;

/** The wait-until-AVAILABLE logic against a scripted ModelService over real gRPC on loopback. */
class ModelStatusWaiterTest {

  /** Each model answers from its script in order; the last answer repeats. null means NOT_FOUND. */
  private final Map<String, Deque<GetModelStatusResponse>> scripts = new ConcurrentHashMap<>();
  private final List<String> calls = new ArrayList<>();
  private Server server;
  private ManagedChannel channel;

  private void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new ModelServiceGrpc.ModelServiceImplBase() {
          @Override
          public void getModelStatus(GetModelStatusRequest req, StreamObserver<GetModelStatusResponse> obs) {
            String name = req.getModelSpec().getName();
            synchronized (calls) {
              calls.add(name);
            }
            Deque<GetModelStatusResponse> script = scripts.get(name);
            GetModelStatusResponse r = script == null ? null
                : script.size() > 1 ? script.pollFirst() : script.peekFirst();
            if (r == null || r.getModelVersionStatusCount() == 0) {
              obs.onError(Status.NOT_FOUND.withDescription("Could not find any versions of model " + name)
                  .asRuntimeException());
              return;
            }
            obs.onNext(r);
            obs.onCompleted();
          }
        })
        .build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static GetModelStatusResponse status(Object... versionState) {
    GetModelStatusResponse.Builder b = GetModelStatusResponse.newBuilder();
    for (int i = 0; i < versionState.length; i += 2) {
      b.addModelVersionStatus(ModelVersionStatus.newBuilder()
          .setVersion((Integer) versionState[i]).setState((State) versionState[i + 1]));
    }
    return b.build();
  }

  private void script(String model, GetModelStatusResponse... responses) {
    scripts.put(model, new ConcurrentLinkedDeque<>(List.of(responses)));
  }

  @Test
  void waitsThroughNotFoundAndLoadingUntilEveryModelIsAvailable() throws Exception {
    script("a", GetModelStatusResponse.getDefaultInstance(), status(1, State.LOADING),
        status(1, State.AVAILABLE));
    script("b", status(1, State.AVAILABLE, 2, State.LOADING), status(1, State.AVAILABLE, 2, State.AVAILABLE));
    start();

    ModelStatusWaiter.awaitAvailable(channel, List.of("a", "b"), Duration.ofSeconds(60), () -> true, () -> "");

    assertThat(calls.stream().filter("a"::equals).count()).isEqualTo(3);
    assertThat(calls.stream().filter("b"::equals).count()).isEqualTo(2);
  }

  @Test
  void failsNamingTheModelWhenAVersionEndsWithAnError() throws Exception {
    GetModelStatusResponse failed = GetModelStatusResponse.newBuilder()
        .addModelVersionStatus(ModelVersionStatus.newBuilder().setVersion(123).setState(State.END)
            .setStatus(StatusProto.newBuilder().setErrorCodeValue(3)
                .setErrorMessage("No signature found in the SavedModel")))
        .build();
    script("bad", status(123, State.LOADING), failed);
    start();

    assertThatThrownBy(() -> ModelStatusWaiter.awaitAvailable(
            channel, List.of("bad"), Duration.ofSeconds(60), () -> true, () -> ""))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("model 'bad' version 123 failed to load")
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("No signature found");
  }

  @Test
  void stopsWaitingWhenTheServerProcessIsGone() throws Exception {
    start();
    assertThatThrownBy(() -> ModelStatusWaiter.awaitAvailable(
            channel, List.of("never"), Duration.ofSeconds(60), () -> false, () -> "E0101 bad flag"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("stopped before models [never]")
        .hasMessageContaining("NOT_FOUND")
        .hasMessageContaining("E0101 bad flag");
  }

  @Test
  void timesOutNamingThePendingModel() throws Exception {
    script("slow", status(1, State.LOADING));
    start();
    assertThatThrownBy(() -> ModelStatusWaiter.awaitAvailable(
            channel, List.of("slow"), Duration.ofMillis(1), () -> true, () -> ""))
        .hasMessageContaining("[slow] not AVAILABLE")
        .hasMessageContaining("1:LOADING");
  }
}
