package dev.tfkit.server.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One REST connection's HTTP/1.1 exchanges, one request at a time, held to {@link RestLimits}: it
 * reads a request whole (refusing an oversized body from its {@code Content-Length} before reading
 * it), hands it to the {@link Service}, writes the answer and reads the next request. Everything
 * runs on the connection's event loop, so a slow or stalled client holds a socket and its bytes,
 * never a thread.
 *
 * <p>Every refusal is TF Serving's JSON error body with a status: 400 malformed HTTP (a bad chunk
 * size, say), 408 headers not complete within the read timeout or a body that stalls for it, 413
 * a body over the limit, 414/431 a request line/headers over the limit, 417 an unknown {@code
 * Expect}, 400 a transfer coding list that does not end in chunked (RFC 9112 6.3: its length is
 * unknowable) and 501 one with another coding before chunked (6.1), 503 when the bodies in flight would go over
 * their budget. After a refusal the connection is closed: the server stops sending, drains what
 * the client still sends for a moment (so the client reads the answer instead of a reset), then
 * closes.
 */
final class RestConnection extends ChannelInboundHandlerAdapter {

  /** What answers a request read whole; {@code answer} is called once, on any thread. */
  interface Service {
    void serve(RestRequest request, Consumer<RestReply> answer);
  }

  private enum State {
    /** Waiting for the first byte of the next request (idle timeout). */
    AWAITING,
    /** Bytes of a request arrived; its headers are not complete (read timeout from the first). */
    HEADERS,
    /** Reading the body (read timeout since the last bytes). */
    BODY,
    /** The request is with the service; reading is paused until its answer is written. */
    HANDLING,
    /** Refused or closed: whatever still arrives is dropped. */
    CLOSING
  }

  private static final long NO_DEADLINE = Long.MAX_VALUE;
  /** How long a refused connection drains the client's bytes before it is closed. */
  private static final long LINGER_MILLIS = 2000;
  /** A body's first buffer; it grows as bytes arrive, never beyond the declared length. */
  private static final int FIRST_BUFFER = 16 << 10;

  private final RestLimits limits;
  private final BodyBudget budget;
  private final Service service;
  private final long readTimeoutNanos;
  private final long idleTimeoutNanos;

  private ChannelHandlerContext ctx;
  private State state = State.AWAITING;
  private long deadline = NO_DEADLINE;
  private ScheduledFuture<?> timer;
  private long timerAt;

  private HttpRequest head;
  private boolean keepAlive;
  /** The declared Content-Length, or -1 for a chunked body. */
  private long expected;
  private byte[] buf;
  private int len;
  /** Bytes this connection holds in the budget for the request being read. */
  private long reserved;
  /** Requests (parts) a client sent ahead while one is handled: replayed in order afterwards. */
  private final ArrayDeque<Object> parked = new ArrayDeque<>();

  RestConnection(RestLimits limits, BodyBudget budget, Service service) {
    this.limits = limits;
    this.budget = budget;
    this.service = service;
    this.readTimeoutNanos = limits.readTimeout().toNanos();
    this.idleTimeoutNanos = limits.idleTimeout().toNanos();
  }

  /**
   * A handler for in front of the HTTP decoder: it tells this connection when raw bytes arrive,
   * which starts the header clock and keeps a body's stall clock from running out.
   */
  ChannelInboundHandlerAdapter bytesTap() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext c, Object msg) {
        bytesArrived();
        c.fireChannelRead(msg);
      }
    };
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    expireAt(System.nanoTime() + idleTimeoutNanos);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    deadline = NO_DEADLINE;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (state != State.HANDLING) {
      // A handled request's reservation travels with it and comes back when it is answered.
      budget.release(reserved);
      reserved = 0;
    }
    state = State.CLOSING;
    buf = null;
    releaseParked();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or a broken pipe: the client is gone; nothing to answer, nothing worth logging.
    ctx.close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.HANDLING || !parked.isEmpty()) {
      parked.add(msg);
      return;
    }
    handle(msg);
  }

  private void handle(Object msg) {
    try {
      if (state == State.CLOSING) {
        return;
      }
      if (msg instanceof HttpRequest r) {
        onHead(r);
      }
      if (msg instanceof HttpContent c && state == State.BODY) {
        onContent(c);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void bytesArrived() {
    if (state == State.AWAITING) {
      state = State.HEADERS;
      expireAt(System.nanoTime() + readTimeoutNanos);
    } else if (state == State.BODY) {
      // The pending timer finds the later deadline and waits again.
      deadline = System.nanoTime() + readTimeoutNanos;
    }
  }

  // ---------------------------------------------------------------- reading a request

  private void onHead(HttpRequest r) {
    if (r.decoderResult().isFailure()) {
      Throwable cause = r.decoderResult().cause();
      int code =
          cause instanceof TooLongHttpLineException
              ? 414
              : cause instanceof TooLongHttpHeaderException ? 431 : 400;
      String limit =
          code == 400 ? "" : " (the limit is " + limits.maxHeaderBytes() + " bytes)";
      if (cause instanceof TransferEncodingNotAllowedException
          || String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("transfer coding")) {
        // RFC 9112 6.3: a request whose last coding is not chunked has no knowable length: 400.
        // (The decoder's stand-in request carries no headers, hence no coding named here.)
        fail(
            400,
            "Transfer-Encoding not supported: a request's last transfer coding must be chunked"
                + " (HTTP/1.1 only); send the body with a Content-Length, or chunked");
        return;
      }
      fail(code, "Malformed HTTP request: " + cause.getMessage() + limit);
      return;
    }
    head = r;
    keepAlive = HttpUtil.isKeepAlive(r);
    state = State.BODY;
    expireAt(System.nanoTime() + readTimeoutNanos);
    List<String> codings = r.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (!codings.isEmpty()) {
      String unsupported = unsupportedCoding(codings);
      if (unsupported != null) {
        fail(
            501,
            "Transfer-Encoding '" + unsupported + "' is not supported: send the body with a"
                + " Content-Length, or chunked");
        return;
      }
      expected = -1;
    } else {
      try {
        expected = HttpUtil.getContentLength(r, 0L);
      } catch (NumberFormatException e) {
        fail(400, "Malformed HTTP request: invalid Content-Length " + r.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        return;
      }
      if (expected < 0) {
        fail(400, "Malformed HTTP request: negative Content-Length " + expected);
        return;
      }
    }
    if (expected > limits.maxBodyBytes()) {
      fail(413, tooLarge(expected + " bytes"));
      return;
    }
    if (expected > 0 && !reserve(expected)) {
      return;
    }
    String expect = r.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null) {
      if (!expect.trim().equalsIgnoreCase(HttpHeaderValues.CONTINUE.toString())) {
        fail(417, "Expect '" + expect + "' is not supported (only 100-continue)");
        return;
      }
      if (!r.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
        // Limits passed: ask for the body (a refusal above was the final answer instead).
        ctx.writeAndFlush(
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
      }
    }
    buf = new byte[(int) Math.min(expected >= 0 ? expected : FIRST_BUFFER, FIRST_BUFFER)];
    len = 0;
  }

  /** The first coding that is not {@code chunked} (or a repeated chunked), or null. */
  private static String unsupportedCoding(List<String> headerValues) {
    int chunked = 0;
    for (String value : headerValues) {
      for (String coding : value.split(",", -1)) {
        String c = coding.trim().toLowerCase(Locale.ROOT);
        if (!c.equals("chunked") || ++chunked > 1) {
          return coding.trim();
        }
      }
    }
    return null;
  }

  private void onContent(HttpContent c) {
    if (c.decoderResult().isFailure()) {
      fail(400, "Malformed HTTP request body: " + c.decoderResult().cause().getMessage());
      return;
    }
    ByteBuf b = c.content();
    int n = b.readableBytes();
    if (n > 0) {
      long total = len + (long) n;
      if (total > limits.maxBodyBytes()) {
        fail(413, tooLarge("more than " + limits.maxBodyBytes() + " bytes"));
        return;
      }
      if (expected < 0) {
        if (!reserve(n)) {
          return;
        }
      }
      if (total > buf.length) {
        long cap = expected >= 0 ? expected : limits.maxBodyBytes();
        buf = Arrays.copyOf(buf, (int) Math.min(cap, Math.max(total, 2L * buf.length)));
      }
      b.readBytes(buf, len, n);
      len += n;
    }
    if (c instanceof LastHttpContent) {
      complete();
    }
  }

  private boolean reserve(long bytes) {
    if (budget.tryReserve(bytes)) {
      reserved += bytes;
      return true;
    }
    fail(
        503,
        "Server busy: request bodies being read or handled already hold "
            + budget.used() + " of " + budget.limit()
            + " bytes (rest_max_body_bytes_in_flight); retry later");
    return false;
  }

  private String tooLarge(String size) {
    return "Request body of " + size + " is larger than the limit of " + limits.maxBodyBytes()
        + " bytes (rest_max_body_bytes)";
  }

  private void complete() {
    byte[] body = len == buf.length ? buf : Arrays.copyOf(buf, len);
    buf = null;
    HttpRequest r = head;
    head = null;
    state = State.HANDLING;
    deadline = NO_DEADLINE;
    ctx.channel().config().setAutoRead(false);
    long held = reserved;
    reserved = 0;
    boolean keep = keepAlive;
    boolean headOnly = r.method().equals(HttpMethod.HEAD);
    boolean http10 = r.protocolVersion().equals(HttpVersion.HTTP_1_0);
    service.serve(
        new RestRequest(r.method().name(), path(r.uri()), body, held),
        reply -> {
          budget.release(held);
          FullHttpResponse resp = response(reply, keep, headOnly);
          if (keep && http10) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
          }
          ctx.writeAndFlush(resp)
              .addListener(
                  f -> {
                    if (!keep || !f.isSuccess()) {
                      ctx.close();
                    } else {
                      nextRequest();
                    }
                  });
        });
  }

  /** The path of a request target: origin form up to the query, or an absolute URI's path. */
  static String path(String uri) {
    int end = uri.length();
    for (int i = 0; i < uri.length(); i++) {
      char ch = uri.charAt(i);
      if (ch == '?' || ch == '#') {
        end = i;
        break;
      }
    }
    String target = uri.substring(0, end);
    if (target.startsWith("/")) {
      return target;
    }
    try {
      String p = new URI(uri).getRawPath();
      return p == null || p.isEmpty() ? "/" : p;
    } catch (URISyntaxException e) {
      return target;
    }
  }

  private void nextRequest() {
    if (state != State.HANDLING) {
      return;
    }
    state = State.AWAITING;
    expireAt(System.nanoTime() + idleTimeoutNanos);
    while (!parked.isEmpty() && (state == State.AWAITING || state == State.HEADERS || state == State.BODY)) {
      handle(parked.poll());
    }
    if (state == State.CLOSING) {
      releaseParked();
    }
    if (state != State.HANDLING) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void releaseParked() {
    for (Object m; (m = parked.poll()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }

  // ---------------------------------------------------------------- answers

  private static FullHttpResponse response(RestReply reply, boolean keepAlive, boolean headOnly) {
    FullHttpResponse resp =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.code()),
            headOnly ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
    resp.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
        .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    if (!keepAlive) {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return resp;
  }

  /** Refuses the request being read with a JSON error, then closes the connection. */
  private void fail(int code, String message) {
    if (state == State.CLOSING || state == State.HANDLING) {
      return;
    }
    state = State.CLOSING;
    deadline = NO_DEADLINE;
    budget.release(reserved);
    reserved = 0;
    buf = null;
    head = null;
    ctx.writeAndFlush(response(RestReply.error(code, message), false, false))
        .addListener(
            f -> {
              if (f.isSuccess() && ctx.channel() instanceof SocketChannel s && s.isActive()) {
                // Half-close and drain: closing with unread bytes would reset the connection
                // and the client could lose the answer.
                s.shutdownOutput();
                ctx.channel().config().setAutoRead(true);
                ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
              } else {
                ctx.close();
              }
            });
  }

  // ---------------------------------------------------------------- timeouts

  /**
   * Sets the current state's deadline; one timer per connection, rescheduled only when the new
   * deadline is earlier than the pending one (a later one is found when it fires).
   */
  private void expireAt(long nanos) {
    deadline = nanos;
    if (nanos == NO_DEADLINE || (timer != null && timerAt <= nanos)) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    schedule(nanos);
  }

  private void schedule(long at) {
    timerAt = at;
    timer = ctx.executor().schedule(this::tick, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private void tick() {
    timer = null;
    if (deadline == NO_DEADLINE) {
      return;
    }
    if (System.nanoTime() < deadline) {
      schedule(deadline);
      return;
    }
    long ms = limits.readTimeout().toMillis();
    switch (state) {
      case AWAITING -> ctx.close();
      case HEADERS ->
          fail(408, "Request headers not complete within " + ms + " ms (rest_read_timeout_in_ms)");
      case BODY ->
          fail(
              408,
              "Request body stalled: no bytes for " + ms + " ms after " + len + " of "
                  + (expected >= 0 ? expected + " bytes" : "a chunked body")
                  + " (rest_read_timeout_in_ms)");
      default -> {}
    }
  }
}
