package dev.tfkit.server.api;

import dev.tfkit.server.DaemonThreads;
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
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * TF Serving's REST API over HTTP/1.1 on Netty: predict, classify and regress, model status and
 * metadata, the Prometheus metrics page (see {@link RestRoutes}), held to {@link RestLimits}.
 *
 * <p>Connections are read on a few event-loop threads ({@link RestConnection}), so a slow, stalled
 * or hostile client costs a socket and never a thread; a request read whole is handled on a
 * bounded pool of handler threads (TensorFlow runs may block), and a request that finds the pool
 * and its queue full is answered 503.
 */
public final class RestGateway implements AutoCloseable {
  /** Requests waiting for a handler thread before new ones are answered 503. */
  private static final int QUEUE = 1024;

  private final EventLoopGroup loops;
  private final ThreadPoolExecutor handlers;
  private final ScheduledExecutorService deadlineTimer;
  private final Channel listener;
  private final RestRoutes routes;
  private final BodyBudget budget;

  /**
   * Starts serving on {@code address}.
   *
   * @param timeout how long a request may run before it is answered 504 (TF Serving's {@code
   *     --rest_api_timeout_in_ms}); zero for no limit
   * @param metricsPath the Prometheus page's path, or null for none
   * @param limits body size, bodies in flight, header size and read timeouts
   */
  public RestGateway(
      ServingApi api, InetSocketAddress address, Duration timeout, String metricsPath, RestLimits limits)
      throws IOException {
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

  /** Starts serving with the default {@link RestLimits}. */
  public RestGateway(ServingApi api, InetSocketAddress address, Duration timeout, String metricsPath)
      throws IOException {
    this(api, address, timeout, metricsPath, RestLimits.defaults());
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Hands {@code request} to a handler thread; answers 503 when every one is busy and the queue is full. */
  private void serve(RestRequest request, Consumer<RestReply> answer) {
    try {
      handlers.execute(() -> answer.accept(routes.answer(request)));
    } catch (RejectedExecutionException e) {
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
