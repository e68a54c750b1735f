package dev.tfkit.serving;

import java.time.Duration;
import java.util.Objects;

/**
 * How a client connects to a model server: plaintext, TLS or ALTS, the largest response it accepts, and
 * (gRPC) how it balances calls between the addresses a name resolves to. Connections are shared
 * between every {@link ServingModel} opened with the same target and options.
 *
 * @param tls TLS settings, or {@code null} for plaintext
 * @param maxInboundMessageSize largest response in bytes; default 256 MiB (grpc-java's own default
 *     of 4 MiB is too small for image outputs)
 * @param loadBalancingPolicy gRPC policy ({@code pick_first} or {@code round_robin}), or {@code
 *     null} for the default: {@code round_robin} for {@code dns:///} targets (a Kubernetes headless
 *     service resolves to every pod), {@code pick_first} otherwise
 * @param connectTimeout REST connection timeout
 * @param alts ALTS settings (gRPC only), or {@code null}; not together with {@code tls}
 */
public record ConnectionOptions(
    Tls tls, int maxInboundMessageSize, String loadBalancingPolicy, Duration connectTimeout,
    Alts alts) {
  /** 256 MiB. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 256 << 20;

  /** Validates the values. */
  public ConnectionOptions {
    if (maxInboundMessageSize <= 0) {
      throw new IllegalArgumentException(
          "maxInboundMessageSize must be positive, got " + maxInboundMessageSize);
    }
    if (loadBalancingPolicy != null
        && !loadBalancingPolicy.equals("pick_first")
        && !loadBalancingPolicy.equals("round_robin")) {
      throw new IllegalArgumentException(
          "loadBalancingPolicy must be pick_first or round_robin, got '" + loadBalancingPolicy + "'");
    }
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    if (tls != null && alts != null) {
      throw new IllegalArgumentException(
          "a connection is either TLS or ALTS, not both (as a TF Serving server is): " + tls + ", " + alts);
    }
  }

  /** Plaintext, 256 MiB responses, default balancing, 10 s REST connect timeout. */
  public static ConnectionOptions defaults() {
    return new ConnectionOptions(
        null, DEFAULT_MAX_INBOUND_MESSAGE_SIZE, null, Duration.ofSeconds(10), null);
  }

  /** The same over TLS. */
  public ConnectionOptions tls(Tls tls) {
    return new ConnectionOptions(tls, maxInboundMessageSize, loadBalancingPolicy, connectTimeout, alts);
  }

  /**
   * The same over ALTS (gRPC only: a REST client refuses it), for a server started with {@code
   * --use_alts_credentials}.
   */
  public ConnectionOptions alts(Alts alts) {
    return new ConnectionOptions(tls, maxInboundMessageSize, loadBalancingPolicy, connectTimeout, alts);
  }

  /** The same accepting responses up to {@code bytes}. */
  public ConnectionOptions maxInboundMessageSize(int bytes) {
    return new ConnectionOptions(tls, bytes, loadBalancingPolicy, connectTimeout, alts);
  }

  /** The same with this gRPC load balancing policy ({@code pick_first} or {@code round_robin}). */
  public ConnectionOptions loadBalancingPolicy(String policy) {
    return new ConnectionOptions(tls, maxInboundMessageSize, policy, connectTimeout, alts);
  }

  /** The same with this REST connect timeout. */
  public ConnectionOptions connectTimeout(Duration timeout) {
    return new ConnectionOptions(tls, maxInboundMessageSize, loadBalancingPolicy, timeout, alts);
  }

  /** The balancing policy used for a target. */
  String loadBalancingPolicyFor(String target) {
    if (loadBalancingPolicy != null) return loadBalancingPolicy;
    return target.startsWith("dns:///") ? "round_robin" : "pick_first";
  }
}
