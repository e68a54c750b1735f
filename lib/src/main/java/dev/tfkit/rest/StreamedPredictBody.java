package dev.tfkit.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.UnsafeByteOperations;
import dev.tfkit.tensor.DataTypes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The fast path for predict request bodies whose tensors are nested lists of numbers (images,
 * embeddings, feature vectors): the body's tokens are streamed straight into primitive arrays and
 * packed into {@code tensor_content}, with no JSON tree of a node per number. It takes only bodies
 * it can answer exactly as {@link TensorJson#readPredictRequest(com.fasterxml.jackson.databind.JsonNode,
 * Function)} would (bare or columnar tensors, bare or named rows); for anything else — strings,
 * booleans, {@code b64} objects, ragged or empty lists, rows that differ in names or shapes, values
 * a dtype cannot hold, unknown fields, malformed JSON — it answers null and the caller takes the
 * tree path, which gives the same result or the same error message. Responses likewise.
 */
public final class StreamedPredictBody {
  private final String signatureName;
  private final RestFormat format;
  /** Named tensors, or a single entry with a null key for a bare value. */
  private final Map<String, Numbers> tensors;

  private StreamedPredictBody(String signatureName, RestFormat format, Map<String, Numbers> tensors) {
    this.signatureName = signatureName;
    this.format = format;
    this.tensors = tensors;
  }

  /**
   * Numbers of one tensor in row-major order, 8 bytes each: whole numbers as longs, decimals as
   * their double's bits, a bit per number telling which.
   */
  static final class Numbers {
    long[] shape;
    long[] raw = new long[16];
    long[] decimal = new long[1];
    int size;
    boolean allIntegral = true;
    long maxAbsLong;

    private void ensureRoom() {
      if (size == raw.length) {
        raw = Arrays.copyOf(raw, Math.multiplyExact(size, 2));
        decimal = Arrays.copyOf(decimal, (raw.length + 63) >>> 6);
      }
    }

    void add(JsonParser p, JsonToken t) throws IOException {
      ensureRoom();
      if (t == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          throw Unhandled.INSTANCE;
        }
        long v = p.getLongValue();
        raw[size] = v;
        maxAbsLong = Math.max(maxAbsLong, v == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(v));
      } else {
        allIntegral = false;
        raw[size] = Double.doubleToRawLongBits(p.getDoubleValue());
        decimal[size >>> 6] |= 1L << size;
      }
      size++;
    }

    /** Appends {@code other}'s numbers (a row of a named-rows body). */
    void append(Numbers other) {
      for (int i = 0; i < other.size; i++) {
        ensureRoom();
        raw[size] = other.raw[i];
        if ((other.decimal[i >>> 6] & (1L << i)) != 0) {
          decimal[size >>> 6] |= 1L << size;
        }
        size++;
      }
      allIntegral &= other.allIntegral;
      maxAbsLong = Math.max(maxAbsLong, other.maxAbsLong);
    }

    /** Number {@code i} as a double (whole numbers converted, as the tree path does). */
    double asDouble(int i) {
      return (decimal[i >>> 6] & (1L << i)) != 0 ? Double.longBitsToDouble(raw[i]) : (double) raw[i];
    }
  }

  /** Thrown inside the parse to give up on the fast path (no stack trace: it is not an error). */
  private static final class Unhandled extends RuntimeException {
    static final Unhandled INSTANCE = new Unhandled();

    private Unhandled() {
      super(null, null, false, false);
    }
  }

  /** Reads {@code body}, or null when the fast path does not take it (the tree path must). */
  public static StreamedPredictBody read(byte[] body) {
    return read(body, TensorJson.mapper().getFactory(), false);
  }

  /**
   * Reads a predict response body ({@code predictions} or {@code outputs}), or null when the
   * fast path does not take it (errors, named rows, strings ...: the tree path must).
   */
  public static StreamedPredictBody readResponse(byte[] body) {
    return read(body, TensorJson.mapper().getFactory(), true);
  }

  static StreamedPredictBody read(byte[] body, JsonFactory factory, boolean response) {
    String rowKey = response ? RestFormat.ROW.responseKey() : RestFormat.ROW.requestKey();
    String columnKey = response ? RestFormat.COLUMNAR.responseKey() : RestFormat.COLUMNAR.requestKey();
    try (JsonParser p = factory.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String signature = "";
      RestFormat format = null;
      Map<String, Numbers> tensors = null;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (!response && field.equals(TensorJson.SIGNATURE_NAME)) {
          if (v != JsonToken.VALUE_STRING) {
            return null;
          }
          signature = p.getText();
        } else if (field.equals(rowKey) || field.equals(columnKey)) {
          if (format != null) {
            return null;
          }
          format = field.equals(rowKey) ? RestFormat.ROW : RestFormat.COLUMNAR;
          tensors = new LinkedHashMap<>();
          if (v == JsonToken.START_OBJECT && format == RestFormat.COLUMNAR) {
            for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
              String name = p.currentName();
              if (tensors.containsKey(name)) {
                return null;
              }
              tensors.put(name, value(p, p.nextToken()));
            }
            if (tensors.isEmpty()) {
              return null;
            }
          } else if (v == JsonToken.START_ARRAY && format == RestFormat.ROW) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
              namedRows(p, tensors);
            } else {
              tensors.put(null, list(p, first));
            }
          } else if (v == JsonToken.START_ARRAY || (format == RestFormat.COLUMNAR && v.isNumeric())) {
            tensors.put(null, value(p, v));
          } else {
            return null;
          }
        } else {
          return null;
        }
      }
      if (format == null || p.nextToken() != null) {
        return null;
      }
      return new StreamedPredictBody(signature, format, tensors);
    } catch (IOException | RuntimeException e) {
      // Malformed JSON and everything unusual: the tree path reports it.
      return null;
    } catch (OutOfMemoryError e) {
      // A body with more numbers than the heap holds: only our arrays were being allocated, and
      // they are garbage now; the tree path answers as it did before this fast path existed.
      return null;
    }
  }

  /** One tensor's value: a number (a scalar) or nested lists of numbers of a regular shape. */
  private static Numbers value(JsonParser p, JsonToken t) throws IOException {
    if (t.isNumeric()) {
      Numbers n = new Numbers();
      n.shape = new long[0];
      n.add(p, t);
      return n;
    }
    if (t != JsonToken.START_ARRAY) {
      throw Unhandled.INSTANCE;
    }
    return list(p, p.nextToken());
  }

  /** Nested lists whose outer START_ARRAY and then {@code first} were just read. */
  private static Numbers list(JsonParser p, JsonToken first) throws IOException {
    Numbers n = new Numbers();
    List<Long> dims = new ArrayList<>();
    int[] leafDepth = {-1};
    list(p, 0, dims, leafDepth, n, first);
    n.shape = dims.stream().mapToLong(Long::longValue).toArray();
    return n;
  }

  /**
   * Rows that name their tensors ({@code [{"a": ..., "b": ...}, ...]}), the first row's START_OBJECT
   * just read: every row must have row 0's names, and each name's values row 0's shape; each
   * tensor gets the row count as its dimension 0.
   */
  private static void namedRows(JsonParser p, Map<String, Numbers> tensors) throws IOException {
    Map<String, long[]> rowShapes = new LinkedHashMap<>();
    int rows = 0;
    for (JsonToken t = JsonToken.START_OBJECT; t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.START_OBJECT) {
        throw Unhandled.INSTANCE;
      }
      Set<String> seen = new HashSet<>();
      for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
        String name = p.currentName();
        if (!seen.add(name) || (rows > 0 && !rowShapes.containsKey(name))) {
          throw Unhandled.INSTANCE;
        }
        Numbers row = value(p, p.nextToken());
        long[] expected = rowShapes.putIfAbsent(name, row.shape);
        if (expected != null && !Arrays.equals(expected, row.shape)) {
          throw Unhandled.INSTANCE;
        }
        tensors.computeIfAbsent(name, x -> new Numbers()).append(row);
      }
      if (seen.isEmpty() || seen.size() != rowShapes.size()) {
        throw Unhandled.INSTANCE;
      }
      rows++;
    }
    for (Map.Entry<String, Numbers> e : tensors.entrySet()) {
      long[] rowShape = rowShapes.get(e.getKey());
      long[] shape = new long[rowShape.length + 1];
      shape[0] = rows;
      System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
      e.getValue().shape = shape;
    }
  }

  /**
   * Reads the list whose START_ARRAY and then {@code first} were just read, at nesting {@code depth}. The first list seen
   * at each depth fixes that dimension; every later one must have the same length, and numbers
   * may only appear at the depth of the first.
   */
  private static void list(
      JsonParser p, int depth, List<Long> dims, int[] leafDepth, Numbers n, JsonToken first)
      throws IOException {
    long count = 0;
    for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == JsonToken.START_ARRAY) {
        if (leafDepth[0] >= 0 && depth + 1 >= leafDepth[0]) {
          throw Unhandled.INSTANCE;
        }
        list(p, depth + 1, dims, leafDepth, n, p.nextToken());
      } else if (t.isNumeric()) {
        if (leafDepth[0] < 0) {
          leafDepth[0] = depth + 1;
        } else if (leafDepth[0] != depth + 1) {
          throw Unhandled.INSTANCE;
        }
        n.add(p, t);
      } else {
        throw Unhandled.INSTANCE;
      }
      count++;
    }
    if (count == 0) {
      throw Unhandled.INSTANCE;
    }
    // Inner lists end first: the first list to end at a depth fixes its dimension.
    while (dims.size() <= depth) {
      dims.add(-1L);
    }
    if (dims.get(depth) == -1L) {
      dims.set(depth, count);
    } else if (dims.get(depth) != count) {
      throw Unhandled.INSTANCE;
    }
  }

  /**
   * The request for the signature's inputs, or null when the tree path must answer (a dtype the
   * fast path does not pack, a value the dtype cannot hold, inputs that do not match by name).
   */
  public PredictJsonRequest toRequest(Function<String, Map<String, DataType>> inputTypes) {
    Map<String, DataType> types = inputTypes.apply(signatureName);
    if (types == null || types.isEmpty()) {
      return null;
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    if (tensors.containsKey(null)) {
      // A bare value (columnar) or the rows of the only input (row format).
      if (types.size() != 1 || tensors.size() != 1) {
        return null;
      }
      Map.Entry<String, DataType> only = types.entrySet().iterator().next();
      TensorProto t = pack(tensors.get(null), only.getValue());
      if (t == null) {
        return null;
      }
      out.put(only.getKey(), t);
    } else {
      if (format == RestFormat.ROW && !tensors.keySet().equals(types.keySet())) {
        // Named rows must name exactly the signature's inputs: the tree path says which differ.
        return null;
      }
      for (Map.Entry<String, DataType> e : types.entrySet()) {
        Numbers n = tensors.get(e.getKey());
        TensorProto t = n == null ? null : pack(n, e.getValue());
        if (t == null) {
          return null;
        }
        out.put(e.getKey(), t);
      }
    }
    return new PredictJsonRequest(signatureName, format, out);
  }

  /**
   * The outputs of a response read with {@link #readResponse}, as {@link
   * TensorJson#readPredictResponse} reads them: {@code outputTypes} gives the dtypes it knows (the
   * others are inferred: whole numbers int64, any decimal float), a bare value is the only output
   * or {@code unnamedOutput}. Null when the tree path must answer.
   */
  public Map<String, TensorProto> toOutputs(Map<String, DataType> outputTypes, String unnamedOutput) {
    Map<String, Numbers> ordered = tensors;
    if (format == RestFormat.ROW && !tensors.containsKey(null)) {
      // Named rows: the signature's order for the names it knows, then the first row's order.
      ordered = new LinkedHashMap<>();
      for (String name : outputTypes.keySet()) {
        if (tensors.containsKey(name)) {
          ordered.put(name, tensors.get(name));
        }
      }
      for (Map.Entry<String, Numbers> e : tensors.entrySet()) {
        ordered.putIfAbsent(e.getKey(), e.getValue());
      }
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    for (Map.Entry<String, Numbers> e : ordered.entrySet()) {
      String name = e.getKey();
      if (name == null) {
        name = outputTypes.size() == 1 ? outputTypes.keySet().iterator().next() : unnamedOutput;
      }
      DataType dtype = outputTypes.get(name);
      Numbers n = e.getValue();
      TensorProto t =
          pack(n, dtype != null ? dtype : n.allIntegral ? DataType.DT_INT64 : DataType.DT_FLOAT);
      if (t == null) {
        return null;
      }
      out.put(name, t);
    }
    return out;
  }

  /** The numbers as a {@code tensor_content} TensorProto of {@code dtype}, or null. */
  static TensorProto pack(Numbers n, DataType dtype) {
    DataType dt = DataTypes.base(dtype);
    int width;
    switch (dt) {
      case DT_FLOAT -> {
        // As the tree path: whole numbers must fit the mantissa, decimals the range.
        if (n.maxAbsLong >= (1L << 24) || !finiteWithin(n, Float.MAX_VALUE)) {
          return null;
        }
        width = 4;
      }
      case DT_DOUBLE -> {
        if (n.maxAbsLong >= (1L << 53)) {
          return null;
        }
        width = 8;
      }
      case DT_INT32, DT_INT64, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16 -> {
        if (!n.allIntegral || !integersWithin(n, dt)) {
          return null;
        }
        width = switch (dt) {
          case DT_INT64 -> 8;
          case DT_INT32 -> 4;
          case DT_INT16, DT_UINT16 -> 2;
          default -> 1;
        };
      }
      default -> {
        return null;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n.size, width)).order(ByteOrder.LITTLE_ENDIAN);
    switch (dt) {
      case DT_FLOAT -> {
        var f = b.asFloatBuffer();
        for (int i = 0; i < n.size; i++) {
          f.put((float) n.asDouble(i));
        }
      }
      case DT_DOUBLE -> {
        var d = b.asDoubleBuffer();
        for (int i = 0; i < n.size; i++) {
          d.put(n.asDouble(i));
        }
      }
      case DT_INT64 -> b.asLongBuffer().put(n.raw, 0, n.size);
      case DT_INT32 -> {
        var ib = b.asIntBuffer();
        for (int i = 0; i < n.size; i++) {
          ib.put((int) n.raw[i]);
        }
      }
      case DT_INT16, DT_UINT16 -> {
        var sb = b.asShortBuffer();
        for (int i = 0; i < n.size; i++) {
          sb.put((short) n.raw[i]);
        }
      }
      default -> {
        for (int i = 0; i < n.size; i++) {
          b.put((byte) n.raw[i]);
        }
      }
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : n.shape) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder()
        .setDtype(dt)
        .setTensorShape(shape)
        // The buffer is ours alone and never written again: no copy.
        .setTensorContent(UnsafeByteOperations.unsafeWrap(b.array()))
        .build();
  }

  private static boolean finiteWithin(Numbers n, double max) {
    for (int i = 0; i < n.size; i++) {
      double d = n.asDouble(i);
      if (Double.isFinite(d) && Math.abs(d) > max) {
        return false;
      }
    }
    return true;
  }

  private static boolean integersWithin(Numbers n, DataType dt) {
    long min;
    long max;
    switch (dt) {
      case DT_INT8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
      case DT_UINT8 -> { min = 0; max = 255; }
      case DT_INT16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
      case DT_UINT16 -> { min = 0; max = 65535; }
      case DT_INT32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
      default -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; }
    }
    for (int i = 0; i < n.size; i++) {
      long v = n.raw[i];
      if (v < min || v > max) {
        return false;
      }
    }
    return true;
  }
}
