package dev.tfkit.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * TF Serving's {@code --grpc_channel_arguments} ({@code name=value,name=value}): the arguments
 * that have a grpc-java equivalent are applied, the others accepted and logged.
 */
final class GrpcChannelArguments {
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");

  private GrpcChannelArguments() {}

  static Map<String, String> parse(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s == null || s.isBlank()) {
      return out;
    }
    for (String part : s.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--grpc_channel_arguments: '" + part + "' is not name=value");
      }
      out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    return out;
  }

  static void apply(String s, NettyServerBuilder b) {
    for (Map.Entry<String, String> e : parse(s).entrySet()) {
      String name = e.getKey();
      switch (name) {
        case "grpc.max_receive_message_length" -> b.maxInboundMessageSize(positive(e));
        case "grpc.max_metadata_size" -> b.maxInboundMetadataSize(positive(e));
        case "grpc.max_concurrent_streams" -> b.maxConcurrentCallsPerConnection(positive(e));
        case "grpc.keepalive_time_ms" -> b.keepAliveTime(positive(e), TimeUnit.MILLISECONDS);
        case "grpc.keepalive_timeout_ms" -> b.keepAliveTimeout(positive(e), TimeUnit.MILLISECONDS);
        case "grpc.max_connection_idle_ms" -> b.maxConnectionIdle(positive(e), TimeUnit.MILLISECONDS);
        case "grpc.max_connection_age_ms" -> b.maxConnectionAge(positive(e), TimeUnit.MILLISECONDS);
        case "grpc.http2.min_ping_interval_without_data_ms",
            "grpc.http2.min_recv_ping_interval_without_data_ms" ->
            b.permitKeepAliveTime(positive(e), TimeUnit.MILLISECONDS);
        case "grpc.keepalive_permit_without_calls" ->
            b.permitKeepAliveWithoutCalls(!e.getValue().equals("0"));
        default ->
            LOG.log(
                System.Logger.Level.WARNING,
                "--grpc_channel_arguments: " + name + " has no grpc-java equivalent; ignored");
      }
    }
  }

  private static int positive(Map.Entry<String, String> e) {
    try {
      int v = Integer.parseInt(e.getValue());
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--grpc_channel_arguments: " + e.getKey() + " needs a positive integer, got '" + e.getValue() + "'");
  }
}
