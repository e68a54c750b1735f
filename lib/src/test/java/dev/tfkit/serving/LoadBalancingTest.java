package dev.tfkit.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A name that resolves to two servers (as a Kubernetes headless service resolves to its pods):
 * with round_robin the client spreads calls over both, with pick_first it uses one.
 */
class LoadBalancingTest {
  private static final String SCHEME = "tfkit-two-servers";
  private final FakeServing a = new FakeServing();
  private final FakeServing b = new FakeServing();
  private Server serverA;
  private Server serverB;
  private NameResolverProvider provider;

  @BeforeEach
  void start() throws Exception {
    serverA = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(a.predictionService()).build().start();
    serverB = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(b.predictionService()).build().start();
    List<SocketAddress> addresses = List.of(
        new InetSocketAddress("127.0.0.1", serverA.getPort()),
        new InetSocketAddress("127.0.0.1", serverB.getPort()));
    provider = new NameResolverProvider() {
      @Override
      public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) return null;
        return new NameResolver() {
          @Override
          public String getServiceAuthority() {
            return "two-servers";
          }

          @Override
          public void start(Listener2 listener) {
            listener.onResult(ResolutionResult.newBuilder()
                .setAddresses(addresses.stream().map(EquivalentAddressGroup::new).toList())
                .build());
          }

          @Override
          public void shutdown() {}
        };
      }

      @Override
      public String getDefaultScheme() {
        return SCHEME;
      }

      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        return 5;
      }
    };
    NameResolverRegistry.getDefaultRegistry().register(provider);
  }

  @AfterEach
  void stop() throws InterruptedException {
    NameResolverRegistry.getDefaultRegistry().deregister(provider);
    serverA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    serverB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void roundRobinSpreadsCallsOverEveryAddress() {
    try (ServingModel m = ServingModel.grpc(SCHEME + ":///pods", "echo",
        ConnectionOptions.defaults().loadBalancingPolicy("round_robin"))) {
      // round_robin uses the addresses that are connected: call until both have answered
      for (int i = 0; i < 200 && (a.calls.get() == 0 || b.calls.get() == 0); i++) {
        assertThat(m.run(Map.of("x", (float) i)).output("x").floatValue()).isEqualTo(i);
      }
      assertThat(a.calls.get()).isPositive();
      assertThat(b.calls.get()).isPositive();
      int before = a.calls.get() + b.calls.get();
      for (int i = 0; i < 20; i++) m.run(Map.of("x", 1f));
      assertThat(a.calls.get() + b.calls.get()).isEqualTo(before + 20);
    }
  }

  @Test
  void pickFirstUsesOneAddress() {
    try (ServingModel m = ServingModel.grpc(SCHEME + ":///pods", "echo",
        ConnectionOptions.defaults().loadBalancingPolicy("pick_first"))) {
      for (int i = 0; i < 20; i++) m.run(Map.of("x", 1f));
    }
    assertThat(a.calls.get() + b.calls.get()).isEqualTo(20);
    assertThat(Math.min(a.calls.get(), b.calls.get())).isZero();
  }
}
