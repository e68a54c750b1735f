package dev.tfkit.server.api;

import dev.tfkit.server.tensorflow.RunStats;
import dev.tfkit.server.util.DaemonThreads;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tensorflow.serving.Model;

/**
 * TF Serving's REST API over HTTP/1.1 on Netty: predict, classify and regress, model status and
 * metadata, the Prometheus metrics page (see {@link RestRoutes}), held to {@link RestLimits}.
 *
 * <p>Connections are read on a few event-loop threads ({@link RestConnection}), so a slow, stalled
 * or hostile client costs a socket and never a thread; a request read whole is handled on a
 * bounded pool of handler threads (TensorFlow runs may block), and a request that finds the pool
 * and its queue full is answered 503. Small requests to a fast, idle model are answered on the
 * event loop itself, as gRPC requests are.
 */
public final class RestGateway implements AutoCloseable {
  static {
    // Netty logs through SLF4J when slf4j-api is on the class path (Tablesaw brings it), and with
    // no provider SLF4J prints three warning lines on stderr at the first REST server. tfkit logs
    // through java.util.logging (ConsoleLogging): send Netty's records there too.
    InternalLoggerFactory.setDefaultFactory(
        JdkLoggerFactory.INSTANCE);
  }

  /** Requests waiting for a handler thread before new ones are answered 503. */
  private static final int QUEUE = 1024;
  /** The largest body that may be answered on the event loop. */
  private static final int INLINE_BODY_BYTES = 16 << 10;
  private static final byte[] SIGNATURE_NAME =
      "signature_name".getBytes(StandardCharsets.US_ASCII);

  private final EventLoopGroup loops;
  private final ThreadPoolExecutor handlers;
  private final ScheduledExecutorService deadlineTimer;
  private final Channel listener;
  private final RestRoutes routes;
  private final BodyBudget budget;
  private final ServingApi api;
  private final long inlineRunThresholdNanos;

  /**
   * Starts serving on {@code address}.
   *
   * @param timeout how long a request may run before it is answered 504 (TF Serving's {@code
   *     --rest_api_timeout_in_ms}); zero for no limit
   * @param metricsPath the Prometheus page's path, or null for none
   * @param limits body size, bodies in flight, header size and read timeouts
   * @param inlineRunThreshold a small inference request to a signature whose recent requests each
   *     took less than this, with nothing of it in flight, is answered on the event loop that read
   *     it (as gRPC requests are, see {@link RunPlacement}); zero: every request on a handler thread
   */
  public RestGateway(
      ServingApi api,
      InetSocketAddress address,
      Duration timeout,
      String metricsPath,
      RestLimits limits,
      Duration inlineRunThreshold)
      throws IOException {
    this.api = api;
    this.inlineRunThresholdNanos = inlineRunThreshold.toNanos();
    int threads = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    this.handlers =
        new ThreadPoolExecutor(
            threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
            DaemonThreads.named("tfkit-rest"));
    handlers.allowCoreThreadTimeOut(true);
    this.deadlineTimer =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tfkit-rest-deadline"));
    this.routes = new RestRoutes(api, deadlineTimer, timeout, metricsPath);
    this.budget = new BodyBudget(limits.maxBodyBytesInFlight());
    // Event loops only read, parse HTTP and write: one per core is plenty.
    this.loops =
        new NioEventLoopGroup(
            Math.min(4, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("tfkit-rest-io", true));
    HttpDecoderConfig http =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(limits.maxHeaderBytes())
            .setMaxHeaderSize(limits.maxHeaderBytes())
            .setMaxChunkSize(64 << 10);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(loops)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 128)
            .option(ChannelOption.SO_REUSEADDR, true)
            // Small answers go out at once instead of waiting for the client's delayed ACK.
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    RestConnection c = new RestConnection(limits, budget, RestGateway.this::serve);
                    ch.pipeline().addLast(c.bytesTap(), new HttpServerCodec(http), c);
                  }
                });
    try {
      this.listener = b.bind(address).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows the bind's checked exception undeclared
      shutdown();
      String where = address.getHostString() + ":" + address.getPort();
      if (e instanceof BindException) {
        throw new BindException("cannot listen for REST on " + where + ": " + e.getMessage());
      }
      throw new IOException("cannot listen for REST on " + where + ": " + e, e);
    }
  }

  /** Starts serving with the default {@link RestLimits}, every request on a handler thread. */
  public RestGateway(ServingApi api, InetSocketAddress address, Duration timeout, String metricsPath)
      throws IOException {
    this(api, address, timeout, metricsPath, RestLimits.defaults(), Duration.ZERO);
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /**
   * Answers {@code request} right here on the event loop when it is a small inference request to
   * a default signature that has been fast and is idle ({@link RunStats#fastAndIdle}): on a small
   * machine the two thread hand-offs of a handler thread cost more than such a model's run.
   * Everything else goes to a handler thread; its run time teaches the same statistics.
   */
  private void serve(RestRequest request, Consumer<RestReply> answer) {
    RunStats stats = inlineCandidate(request);
    if (stats == null) {
      offload(request, answer, null);
      return;
    }
    long t0 = System.nanoTime();
    if (stats.fastAndIdle(inlineRunThresholdNanos, t0)) {
      stats.beginInline();
      RestReply reply;
      try {
        reply = routes.answer(request);
      } finally {
        stats.end(t0, System.nanoTime() - t0);
      }
      answer.accept(reply);
      return;
    }
    stats.begin();
    offload(request, answer, stats);
  }

  /**
   * The run statistics that decide where {@code request} runs, or null when it always goes to a
   * handler thread: not an inference request, a body over {@value #INLINE_BODY_BYTES} bytes (its
   * parsing alone could hold the event loop), or a body that names a signature (the statistics
   * are looked up before the body is parsed, so only the default signature's are known).
   */
  private RunStats inlineCandidate(RestRequest request) {
    if (inlineRunThresholdNanos <= 0 || request.body().length > INLINE_BODY_BYTES) {
      return null;
    }
    Model.ModelSpec spec = routes.inferenceSpec(request.method(), request.path());
    if (spec == null || contains(request.body(), SIGNATURE_NAME)) {
      return null;
    }
    return api.runStats(spec);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Hands {@code request} to a handler thread; answers 503 when every one is busy and the queue is full. */
  private void offload(RestRequest request, Consumer<RestReply> answer, RunStats stats) {
    try {
      handlers.execute(
          () -> {
            long t0 = System.nanoTime();
            RestReply reply;
            try {
              reply = routes.answer(request);
            } finally {
              if (stats != null) {
                stats.end(t0, System.nanoTime() - t0);
              }
            }
            answer.accept(reply);
          });
    } catch (RejectedExecutionException e) {
      if (stats != null) {
        stats.abandon();
      }
      answer.accept(
          RestReply.error(
              503,
              "Server busy: " + handlers.getMaximumPoolSize() + " REST requests running and "
                  + QUEUE + " waiting; retry later"));
    }
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    shutdown();
  }

  private void shutdown() {
    loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    handlers.shutdownNow();
    deadlineTimer.shutdownNow();
  }
}
