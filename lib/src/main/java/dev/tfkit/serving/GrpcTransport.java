package dev.tfkit.serving;

import com.google.protobuf.Message;
import dev.tfkit.io.AliasingMarshaller;
import dev.tfkit.rest.RestFormat;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The gRPC transport: one channel, shared by every client of a (target, options). */
final class GrpcTransport implements Transport {
  private final String target;
  private final Channel channel;
  private final ManagedChannel owned; // null when the caller owns the channel

  private GrpcTransport(String target, Channel channel, ManagedChannel owned) {
    this.target = target;
    this.channel = channel;
    this.owned = owned;
  }

  /**
   * A channel to {@code target} ({@code host:port}, {@code dns:///host:port}, {@code
   * unix:/path/to/socket} ...).
   */
  static GrpcTransport open(String target, ConnectionOptions o) {
    ChannelCredentials credentials =
        o.alts() != null ? o.alts().grpcCredentials()
            : o.tls() != null ? o.tls().grpcCredentials()
            : InsecureChannelCredentials.create();
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials);
    if (o.tls() != null && o.tls().authority() != null) b.overrideAuthority(o.tls().authority());
    b.maxInboundMessageSize(o.maxInboundMessageSize());
    b.defaultLoadBalancingPolicy(o.loadBalancingPolicyFor(target));
    // tfkit's own retry policy (UNAVAILABLE only, bounded, within the deadline) applies instead.
    b.disableRetry();
    if (b instanceof NettyChannelBuilder nb && target.startsWith("unix:")) {
      // grpc-java sets TCP keepalive on every connection; a Unix domain socket has none, and Netty
      // would warn about it on each connection.
      nb.withOption(ChannelOption.SO_KEEPALIVE, null);
    }
    ManagedChannel ch = b.build();
    return new GrpcTransport(target, ch, ch);
  }

  /** A transport over a channel the caller owns (and shuts down). */
  static GrpcTransport over(Channel channel) {
    return new GrpcTransport(channel.authority(), channel, null);
  }

  @Override
  public String target() {
    return target;
  }

  @Override
  public boolean isRest() {
    return false;
  }

  private static CallOptions options(Deadline deadline) {
    return deadline == null ? CallOptions.DEFAULT : CallOptions.DEFAULT.withDeadline(deadline);
  }

  @Override
  public <Q extends Message, R extends Message> R call(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format) {
    return ClientCalls.blockingUnaryCall(
        channel, AliasingMarshaller.parsingResponsesWithAliasing(method), options(deadline), request);
  }

  @Override
  public <Q extends Message, R extends Message> CompletableFuture<R> callAsync(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format) {
    CompletableFuture<R> f = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(
        channel.newCall(AliasingMarshaller.parsingResponsesWithAliasing(method), options(deadline)),
        request,
        new StreamObserver<R>() {
          @Override
          public void onNext(R value) {
            f.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            f.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            // unary: onNext already completed the future
          }
        });
    return f;
  }

  @Override
  public void shutdown() {
    if (owned == null) return;
    owned.shutdown();
    try {
      if (!owned.awaitTermination(5, TimeUnit.SECONDS)) owned.shutdownNow();
    } catch (InterruptedException e) {
      owned.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
