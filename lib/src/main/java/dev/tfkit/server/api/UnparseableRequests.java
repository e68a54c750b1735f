package dev.tfkit.server.api;

import com.google.protobuf.Message;
import dev.tfkit.server.util.RateLimitedLog;
import dev.tfkit.server.util.RequestException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.alts.AltsContextUtil;
import java.io.InputStream;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Answers a gRPC request whose message does not parse as the method's request type with
 * INVALID_ARGUMENT and at most a rate-limited line in the log naming the method and the peer.
 *
 * <p>Why: a request marshaller that throws makes grpc-java cancel the stream (the client sees a
 * bare RST_STREAM) and log the exception with its full stack trace at SEVERE ("Exception while
 * executing runnable"), about 70 lines per request: 890 garbage messages wrote 64,651 lines. So
 * the guarded marshaller does not throw: it hands on an empty placeholder message and leaves the
 * failure for this thread, and the guarded handler, which grpc-java calls with the parsed message
 * right after parsing on the same thread, closes the call instead of passing the placeholder on.
 */
public final class UnparseableRequests {
  private static final Logger LOG = Logger.getLogger("dev.tfkit.server");
  /** Lines per second about unparseable requests; the rest are counted in the next line. */
  static final int LINES_PER_SECOND = 5;

  /** The message a parse failed on, given back in its place, and why it failed. */
  private record Failure(Object placeholder, RuntimeException cause) {}

  private static final ThreadLocal<Failure> LAST_FAILURE = new ThreadLocal<>();

  private final RateLimitedLog log;

  private UnparseableRequests(RateLimitedLog log) {
    this.log = log;
  }

  /** {@code services} with every method's request parsing guarded, sharing one log budget. */
  public static ServerServiceDefinition[] guarded(ServerServiceDefinition... services) {
    UnparseableRequests guard = new UnparseableRequests(new RateLimitedLog(LOG, LINES_PER_SECOND));
    ServerServiceDefinition[] out = new ServerServiceDefinition[services.length];
    for (int i = 0; i < services.length; i++) out[i] = guard.guard(services[i]);
    return out;
  }

  private ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(guard(m));
    }
    return b.build();
  }

  private <Q, R> ServerMethodDefinition<Q, R> guard(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> d = m.getMethodDescriptor();
    MethodDescriptor.Marshaller<Q> stock = d.getRequestMarshaller();
    if (!(stock instanceof MethodDescriptor.PrototypeMarshaller<Q> proto)) {
      return m; // no placeholder to hand on: leave the method as it is
    }
    MethodDescriptor<Q, R> guardedMethod =
        d.toBuilder(new GuardedMarshaller<>(proto), d.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(
        guardedMethod,
        (call, headers) -> new GuardedListener<>(handler.startCall(call, headers), call));
  }

  /** Parses with the method's own marshaller; a failure is left for the listener, not thrown. */
  private static final class GuardedMarshaller<Q> implements MethodDescriptor.PrototypeMarshaller<Q> {
    private final MethodDescriptor.PrototypeMarshaller<Q> inner;

    GuardedMarshaller(MethodDescriptor.PrototypeMarshaller<Q> inner) {
      this.inner = inner;
    }

    @Override
    public InputStream stream(Q value) {
      return inner.stream(value);
    }

    @Override
    public Q parse(InputStream stream) {
      LAST_FAILURE.remove();
      try {
        return inner.parse(stream);
      } catch (RuntimeException e) {
        Q placeholder = placeholder();
        LAST_FAILURE.set(new Failure(placeholder, e));
        return placeholder;
      }
    }

    @SuppressWarnings("unchecked")
    private Q placeholder() {
      // A new empty message, not the shared default instance, so that only this parse's result
      // is recognised as the placeholder.
      return (Q) ((Message) inner.getMessagePrototype()).newBuilderForType().buildPartial();
    }

    @Override
    public Class<Q> getMessageClass() {
      return inner.getMessageClass();
    }

    @Override
    public Q getMessagePrototype() {
      return inner.getMessagePrototype();
    }
  }

  /** Closes the call when its message was a placeholder; after that, passes on only the end. */
  private final class GuardedListener<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, R> call;
    private boolean refused;

    GuardedListener(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(Q message) {
      Failure f = LAST_FAILURE.get();
      if (f == null || f.placeholder() != message) {
        if (!refused) super.onMessage(message);
        return;
      }
      LAST_FAILURE.remove();
      refused = true;
      String method = call.getMethodDescriptor().getFullMethodName();
      String type = call.getMethodDescriptor().getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
          ? ((Message) p.getMessagePrototype()).getDescriptorForType().getFullName()
          : "request";
      String why = RequestException.echo(reason(f.cause()));
      Object address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      // over ALTS (--use_alts_credentials) the peer is also known by its service account
      String peer = AltsContextUtil.check(call)
          ? address + " (ALTS service account " + AltsContextUtil.createFrom(call).getPeerServiceAccount() + ")"
          : String.valueOf(address);
      log.log(Level.WARNING, "unparseable request",
          () -> "refused an unparseable " + type + " on " + method + " from " + peer + ": " + why);
      call.close(
          Status.INVALID_ARGUMENT.withDescription("the message is not a valid " + type + ": " + why),
          new Metadata());
    }

    @Override
    public void onHalfClose() {
      // The handler never saw a message; half-closing it would have it answer a second time.
      if (!refused) super.onHalfClose();
    }

    @Override
    public void onReady() {
      if (!refused) super.onReady();
    }
  }

  private static String reason(RuntimeException e) {
    Throwable t = e;
    // grpc's marshallers wrap the parser's exception in a status; its message says what was wrong.
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
