package dev.tfkit.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A gRPC marshaller for protobuf messages that parses with aliasing: the message's {@code bytes}
 * fields — a TensorProto's {@code tensor_content} above all — share the one array the message was
 * read into instead of each getting a copy. The stock marshaller copies every such field once more
 * after reading the message; for an image or an embedding batch that is a second pass over
 * megabytes. Safe because the array is allocated per message and never written again. Writing is
 * the stock marshaller's.
 */
public final class AliasingMarshaller<T extends Message> implements MethodDescriptor.PrototypeMarshaller<T> {
  private static final Map<MethodDescriptor<?, ?>, MethodDescriptor<?, ?>> CLIENT_METHODS =
      new ConcurrentHashMap<>();

  private final MethodDescriptor.Marshaller<T> stock;
  private final Parser<T> parser;
  private final T defaultInstance;

  @SuppressWarnings("unchecked")
  private AliasingMarshaller(T defaultInstance) {
    this.defaultInstance = defaultInstance;
    this.stock = ProtoUtils.marshaller(defaultInstance);
    this.parser = (Parser<T>) defaultInstance.getParserForType();
  }

  /** The aliasing marshaller for messages like {@code defaultInstance}. */
  public static <T extends Message> AliasingMarshaller<T> of(T defaultInstance) {
    return new AliasingMarshaller<>(defaultInstance);
  }

  @Override
  public T getMessagePrototype() {
    return defaultInstance;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Class<T> getMessageClass() {
    return (Class<T>) defaultInstance.getClass();
  }

  @Override
  public InputStream stream(T value) {
    return stock.stream(value);
  }

  @Override
  public T parse(InputStream stream) {
    try {
      byte[] bytes;
      if (stream instanceof KnownLength) {
        // gRPC knows the message's length: read it straight into one array of that size.
        bytes = new byte[stream.available()];
        int n = stream.readNBytes(bytes, 0, bytes.length);
        if (n != bytes.length) {
          throw new IOException("message ended after " + n + " of " + bytes.length + " bytes");
        }
        byte[] more = stream.readAllBytes();
        if (more.length > 0) {
          byte[] all = Arrays.copyOf(bytes, bytes.length + more.length);
          System.arraycopy(more, 0, all, bytes.length, more.length);
          bytes = all;
        }
      } else {
        bytes = stream.readAllBytes();
      }
      // Only a buffer protobuf knows to be immutable is aliased: wrap it, then ask for aliasing.
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      return parser.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("Invalid protobuf byte sequence")
          .withCause(e)
          .asRuntimeException();
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("cannot read message: " + e).withCause(e).asRuntimeException();
    }
  }

  /**
   * A service definition answering like {@code service} whose requests are parsed with aliasing.
   */
  public static ServerServiceDefinition parsingRequestsWithAliasing(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(withAliasingRequests(m));
    }
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> withAliasingRequests(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> d = m.getMethodDescriptor();
    return ServerMethodDefinition.create(
        d.toBuilder(aliasing(d.getRequestMarshaller()), d.getResponseMarshaller()).build(),
        m.getServerCallHandler());
  }

  /** {@code method} with its responses parsed with aliasing (for clients); cached per method. */
  @SuppressWarnings("unchecked")
  public static <Q, R> MethodDescriptor<Q, R> parsingResponsesWithAliasing(MethodDescriptor<Q, R> method) {
    return (MethodDescriptor<Q, R>)
        CLIENT_METHODS.computeIfAbsent(
            method,
            m -> method.toBuilder(method.getRequestMarshaller(), aliasing(method.getResponseMarshaller())).build());
  }

  @SuppressWarnings("unchecked")
  private static <T> MethodDescriptor.Marshaller<T> aliasing(MethodDescriptor.Marshaller<T> stock) {
    if (stock instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof Message proto) {
      return (MethodDescriptor.Marshaller<T>) of(proto);
    }
    return stock;
  }
}
