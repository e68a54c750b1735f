package dev.tfkit.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.ByteString;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.HalfFloats;
import dev.tfkit.tensor.TensorValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Converts between TensorFlow Serving's REST JSON and tensors, for tfkit's REST client and for the
 * embedded server's REST gateway, following TF Serving's rules so that either side can talk to the
 * real server.
 *
 * <h2>Tensors</h2>
 *
 * A tensor is its values in natural nested lists: the nesting gives the shape (a bare value is a
 * scalar, {@code [[1,2],[3,4]]} has shape {@code [2, 2]}); lists must not be ragged. The dtype
 * comes from the signature when one is given; without one it is inferred: {@code true/false} →
 * {@code DT_BOOL}, strings and {@code {"b64": "..."}} → {@code DT_STRING}, whole numbers → {@code
 * DT_INT64}, any decimal number → {@code DT_FLOAT}. TF Serving writes every float with a decimal
 * point or exponent ({@code 3.0}), so whole numbers in a response are integers. {@code NaN}, {@code
 * Infinity} and {@code -Infinity} are bare tokens, as TF Serving reads and writes them. Binary
 * strings travel as {@code {"b64": "<base64>"}}; responses use that form for string tensors whose
 * name ends in {@code _bytes} (TF Serving's convention) and, unlike TF Serving, also for strings that
 * are not valid UTF-8 (instead of writing invalid JSON). Half and bfloat16 values are written as
 * decimals; complex, resource and variant tensors cannot travel over REST.
 *
 * <h2>Predict bodies</h2>
 *
 * Row format ({@code "instances"} → {@code "predictions"}): each list item is one batch row, as a
 * bare value when there is a single named tensor or as an object {@code {name: value}} per row; the
 * rows are stacked, so every named tensor shares its 0-th dimension. Columnar format ({@code
 * "inputs"} → {@code "outputs"}): each tensor whole, as a bare value when there is one, else an
 * object by name. Errors come back as {@code {"error": "<message>"}}.
 *
 * <p>All methods are static and thread-safe; bad JSON throws {@link IllegalArgumentException} whose
 * message names the tensor, the position in the nested lists and what was expected.
 */
public final class TensorJson {
  /** The key of a base64 object: {@code {"b64": "aGVsbG8="}}. */
  public static final String B64 = "b64";
  /** Names ending in this are binary string tensors, written as base64 objects. */
  public static final String BYTES_SUFFIX = "_bytes";
  /** The response key of an error message. */
  public static final String ERROR = "error";
  /** The request key of the signature. */
  public static final String SIGNATURE_NAME = "signature_name";

  /** 256 MiB: as large as the gRPC client's inbound limit, so REST can carry the same images. */
  private static final int MAX_STRING_CHARS = 256 << 20;

  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          // Schubfach / fast_double_parser: tensors are mostly floats, and these are several
          // times faster than Float.toString / Double.parseDouble with the same results.
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxStringLength(MAX_STRING_CHARS).build());
  }

  private TensorJson() {}

  /**
   * The Jackson mapper this codec uses: it reads and writes {@code NaN} and {@code ±Infinity} as
   * bare tokens and accepts strings up to 256 MiB. Share it; it is thread-safe.
   */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Parses a JSON document (bare {@code NaN}/{@code Infinity} allowed). */
  public static JsonNode parse(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("JSON parse error: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      // Reading bytes in memory fails only on their content: a bad encoding, say bytes Jackson
      // took for UTF-32 (found by RestBodyFuzzTest). That is the body's fault, not the server's.
      throw new IllegalArgumentException("JSON parse error: " + e.getMessage(), e);
    }
  }

  /** Parses a JSON document (bare {@code NaN}/{@code Infinity} allowed). */
  public static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("JSON parse error: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether TF Serving treats a string tensor of this name as binary ({@code _bytes} suffix). */
  public static boolean isBytesName(String name) {
    return name.endsWith(BYTES_SUFFIX);
  }

  /** Whether {@code node} is a base64 object: exactly one key, {@code b64}, holding a string. */
  public static boolean isBase64Object(JsonNode node) {
    return node.isObject() && node.size() == 1 && node.path(B64).isTextual();
  }

  // ------------------------------------------------------------------------------------------
  // Single tensors
  // ------------------------------------------------------------------------------------------

  /**
   * Reads one tensor from its JSON value.
   *
   * @param value a bare value (scalar) or nested lists
   * @param dtype the tensor's type from the signature, or {@code null} to infer it
   * @param what how error messages name the tensor, e.g. {@code "input 'x'"}
   * @return a TensorProto with its typed value fields ({@code float_val} ...) filled
   */
  public static TensorProto fromJson(JsonNode value, DataType dtype, String what) {
    Parsed p = Parsed.of(value, what);
    return toProto(p.shape, p.leaves, dtype, what);
  }

  /** Reads one tensor from its JSON value as a {@link TensorValue} (see {@link #fromJson}). */
  public static TensorValue valueFromJson(JsonNode value, DataType dtype, String what) {
    return TensorValue.fromProto(fromJson(value, dtype, what));
  }

  /** The JSON value of one tensor (nested lists, or a bare value for a scalar). */
  public static JsonNode toJson(TensorValue tensor, boolean base64Strings) {
    return toJson(tensor.toProto(), base64Strings);
  }

  /** The JSON value of one tensor (nested lists, or a bare value for a scalar). */
  public static JsonNode toJson(TensorProto tensor, boolean base64Strings) {
    try {
      return MAPPER.readTree(bytes(g -> write(g, tensor, base64Strings, "tensor")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes one tensor's JSON value to a generator (streaming: large tensors never become a tree).
   *
   * @param base64Strings write string elements as {@code {"b64": ...}}
   * @param what how error messages name the tensor
   */
  public static void write(JsonGenerator g, TensorProto tensor, boolean base64Strings, String what)
      throws IOException {
    long[] shape = shapeOf(tensor, what);
    ElementWriter w = ElementWriter.of(tensor, shape, base64Strings, what);
    writeNested(g, w, shape, 0, 0);
  }

  /** The first 200 characters of a node's JSON, for error messages. */
  static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  // ------------------------------------------------------------------------------------------
  // JSON → tensor
  // ------------------------------------------------------------------------------------------

  /** Nested lists flattened: the shape taken from the first elements, and the leaves in order. */
  static final class Parsed {
    final long[] shape;
    final List<JsonNode> leaves;

    private Parsed(long[] shape, List<JsonNode> leaves) {
      this.shape = shape;
      this.leaves = leaves;
    }

    static Parsed of(JsonNode value, String what) {
      List<Long> dims = new ArrayList<>();
      for (JsonNode v = value; v.isArray(); v = v.get(0)) {
        dims.add((long) v.size());
        if (v.isEmpty()) break;
      }
      long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
      List<JsonNode> leaves = new ArrayList<>((int) Math.min(product(shape, 0), 1 << 24));
      collect(value, shape, 0, new int[shape.length], leaves, what);
      return new Parsed(shape, leaves);
    }

    private static void collect(
        JsonNode v, long[] shape, int level, int[] path, List<JsonNode> out, String what) {
      if (!v.isArray()) {
        if (level != shape.length) {
          throw new IllegalArgumentException(
              what + ": value " + abbreviate(v) + " at " + path(path, level) + " is at depth "
                  + level + ", expected a list there (shape " + Arrays.toString(shape)
                  + " taken from the first elements); lists must not be ragged");
        }
        out.add(v);
        return;
      }
      if (level >= shape.length) {
        throw new IllegalArgumentException(
            what + ": list at " + path(path, level) + " is nested deeper than the shape "
                + Arrays.toString(shape) + " taken from the first elements; lists must not be ragged");
      }
      if (v.size() != shape[level]) {
        throw new IllegalArgumentException(
            what + ": list at " + path(path, level) + " has " + v.size() + " elements, expected "
                + shape[level] + " (shape " + Arrays.toString(shape)
                + " taken from the first elements); lists must not be ragged");
      }
      for (int i = 0; i < v.size(); i++) {
        path[level] = i;
        collect(v.get(i), shape, level + 1, path, out, what);
      }
    }
  }

  private static String path(int[] path, int level) {
    if (level == 0) return "the top";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < level; i++) sb.append('[').append(path[i]).append(']');
    return sb.toString();
  }

  private static String pathOfFlat(long[] shape, long flat) {
    if (shape.length == 0) return "the top";
    long[] idx = new long[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
      flat = shape[d] == 0 ? 0 : flat / shape[d];
    }
    StringBuilder sb = new StringBuilder();
    for (long i : idx) sb.append('[').append(i).append(']');
    return sb.toString();
  }

  /** The dtype TF Serving's JSON implies for these leaves when no signature says. */
  static DataType inferDtype(List<JsonNode> leaves, long[] shape, String what) {
    DataType t = null;
    for (int i = 0; i < leaves.size(); i++) {
      JsonNode n = leaves.get(i);
      DataType k;
      if (n.isBoolean()) k = DataType.DT_BOOL;
      else if (n.isTextual() || isBase64Object(n)) k = DataType.DT_STRING;
      else if (n.isIntegralNumber()) k = DataType.DT_INT64;
      else if (n.isNumber()) k = DataType.DT_FLOAT;
      else {
        throw new IllegalArgumentException(
            what + ": value " + abbreviate(n) + " at " + pathOfFlat(shape, i)
                + " is not a number, string, boolean or {\"b64\": ...}");
      }
      if (t == null || t == k) {
        t = k;
      } else if ((t == DataType.DT_INT64 && k == DataType.DT_FLOAT)
          || (t == DataType.DT_FLOAT && k == DataType.DT_INT64)) {
        t = DataType.DT_FLOAT;
      } else {
        throw new IllegalArgumentException(
            what + ": value " + abbreviate(n) + " at " + pathOfFlat(shape, i) + " is a " + kind(n)
                + " but earlier values are " + t + "; a tensor has one type");
      }
    }
    return t == null ? DataType.DT_FLOAT : t;
  }

  private static String kind(JsonNode n) {
    if (n.isBoolean()) return "boolean";
    if (n.isTextual()) return "string";
    if (isBase64Object(n)) return "base64 object";
    if (n.isNumber()) return "number";
    if (n.isNull()) return "null";
    if (n.isArray()) return "list";
    return "object";
  }

  static TensorProto toProto(
      long[] shape, List<JsonNode> leaves, DataType dtype, String what) {
    DataType dt = dtype == null ? inferDtype(leaves, shape, what) : DataTypes.base(dtype);
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(dt);
    TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
    for (long d : shape) sb.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    b.setTensorShape(sb);
    for (int i = 0; i < leaves.size(); i++) {
      JsonNode n = leaves.get(i);
      try {
        addValue(b, dt, n);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            what + ": value " + abbreviate(n) + " at " + pathOfFlat(shape, i) + " "
                + e.getMessage());
      }
    }
    return b.build();
  }


  private static void addValue(TensorProto.Builder b, DataType dt, JsonNode n) {
    switch (dt) {
      case DT_FLOAT:
        b.addFloatVal((float) decimal(n, dt, 24, Float.MAX_VALUE));
        break;
      case DT_DOUBLE:
        b.addDoubleVal(decimal(n, dt, 53, Double.MAX_VALUE));
        break;
      case DT_HALF:
        b.addHalfVal(HalfFloats.floatToHalf((float) decimal(n, dt, 11, 65504.0)) & 0xffff);
        break;
      case DT_BFLOAT16:
        b.addHalfVal(HalfFloats.floatToBfloat16((float) decimal(n, dt, 8, Float.MAX_VALUE)) & 0xffff);
        break;
      case DT_INT8:
        b.addIntVal((int) integer(n, dt, Byte.MIN_VALUE, Byte.MAX_VALUE));
        break;
      case DT_UINT8:
        b.addIntVal((int) integer(n, dt, 0, 255));
        break;
      case DT_INT16:
        b.addIntVal((int) integer(n, dt, Short.MIN_VALUE, Short.MAX_VALUE));
        break;
      case DT_UINT16:
        b.addIntVal((int) integer(n, dt, 0, 65535));
        break;
      case DT_INT32:
        b.addIntVal((int) integer(n, dt, Integer.MIN_VALUE, Integer.MAX_VALUE));
        break;
      case DT_UINT32:
        b.addUint32Val((int) integer(n, dt, 0, 0xffffffffL));
        break;
      case DT_INT64:
        b.addInt64Val(integer(n, dt, Long.MIN_VALUE, Long.MAX_VALUE));
        break;
      case DT_UINT64:
        if (!n.isIntegralNumber()) throw typeError(n, dt);
        BigInteger v = n.bigIntegerValue();
        if (v.signum() < 0 || v.bitLength() > 64) {
          throw new IllegalArgumentException("is out of range for " + dt);
        }
        b.addUint64Val(v.longValue());
        break;
      case DT_BOOL:
        if (!n.isBoolean()) throw typeError(n, dt);
        b.addBoolVal(n.booleanValue());
        break;
      case DT_STRING:
        if (n.isTextual()) {
          b.addStringVal(ByteString.copyFromUtf8(n.textValue()));
        } else if (isBase64Object(n)) {
          try {
            b.addStringVal(ByteString.copyFrom(Base64.getDecoder().decode(n.get(B64).textValue())));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not valid base64: " + e.getMessage());
          }
        } else {
          throw typeError(n, dt);
        }
        break;
      default:
        throw new IllegalArgumentException(
            "cannot be read as " + dt + ": TF Serving's REST API carries only bool, string,"
                + " integer and floating point tensors; use gRPC");
    }
  }

  private static IllegalArgumentException typeError(JsonNode n, DataType dt) {
    return new IllegalArgumentException("is a " + kind(n) + ", expected " + jsonKind(dt));
  }

  private static String jsonKind(DataType dt) {
    switch (dt) {
      case DT_BOOL:
        return "true/false (" + dt + ")";
      case DT_STRING:
        return "a string or {\"b64\": ...} (" + dt + ")";
      case DT_FLOAT:
      case DT_DOUBLE:
      case DT_HALF:
      case DT_BFLOAT16:
        return "a number (" + dt + ")";
      default:
        return "a whole number (" + dt + ")";
    }
  }

  /** A floating point value; whole numbers beyond the type's exact integers are refused as TF Serving does. */
  private static double decimal(JsonNode n, DataType dt, int mantissaBits, double max) {
    if (!n.isNumber()) throw typeError(n, dt);
    if (n.isIntegralNumber()) {
      BigInteger v = n.bigIntegerValue();
      if (v.abs().bitLength() > mantissaBits) {
        throw new IllegalArgumentException(
            "cannot be converted to " + dt + " without loss of precision");
      }
      return v.doubleValue();
    }
    double d = n.doubleValue();
    if (Double.isFinite(d) && Math.abs(d) > max) {
      throw new IllegalArgumentException("is out of range for " + dt);
    }
    return d;
  }

  private static long integer(JsonNode n, DataType dt, long min, long max) {
    if (!n.isIntegralNumber()) {
      // 3.0 is written by some clients for whole numbers; TF Serving refuses any decimal token.
      throw typeError(n, dt);
    }
    if (!n.canConvertToLong()) throw new IllegalArgumentException("is out of range for " + dt);
    long v = n.longValue();
    if (v < min || v > max) throw new IllegalArgumentException("is out of range for " + dt);
    return v;
  }

  // ------------------------------------------------------------------------------------------
  // tensor → JSON
  // ------------------------------------------------------------------------------------------

  static long[] shapeOf(TensorProto t, String what) {
    TensorShapeProto s = t.getTensorShape();
    if (s.getUnknownRank()) {
      throw new IllegalArgumentException(what + " has unknown rank: not a concrete tensor");
    }
    long[] shape = new long[s.getDimCount()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = s.getDim(i).getSize();
      if (shape[i] < 0) {
        throw new IllegalArgumentException(
            what + " has unknown dimension " + i + " in shape: not a concrete tensor");
      }
    }
    return shape;
  }

  static long product(long[] shape, int from) {
    long n = 1;
    for (int i = from; i < shape.length; i++) n *= shape[i];
    return n;
  }

  /** Writes the sub-tensor of {@code shape[dim..]} whose first element is at flat index {@code offset}. */
  /**
   * Writes a float as {@link JsonGenerator#writeNumber(float)} does, with a shortcut for whole
   * values below 10^7 (pixels, counts, class ids stored as float32): their shortest representation
   * is the integer followed by {@code .0}, written from {@code buf} without a String. Negative zero
   * and everything else go through Jackson.
   */
  static void writeFloat(JsonGenerator g, float f, char[] buf) throws IOException {
    int v = (int) f;
    if (v != f || v <= -10_000_000 || v >= 10_000_000 || (v == 0 && Float.floatToRawIntBits(f) != 0)) {
      g.writeNumber(f);
      return;
    }
    int end = buf.length;
    buf[--end] = '0';
    buf[--end] = '.';
    int a = Math.abs(v);
    do {
      buf[--end] = (char) ('0' + a % 10);
      a /= 10;
    } while (a != 0);
    if (v < 0) {
      buf[--end] = '-';
    }
    g.writeNumber(buf, end, buf.length - end);
  }

  static void writeNested(JsonGenerator g, ElementWriter w, long[] shape, int dim, long offset)
      throws IOException {
    if (dim == shape.length) {
      w.write(g, (int) offset);
      return;
    }
    long stride = product(shape, dim + 1);
    g.writeStartArray();
    for (long i = 0; i < shape[dim]; i++) {
      writeNested(g, w, shape, dim + 1, offset + i * stride);
    }
    g.writeEndArray();
  }

  /** Writes element {@code i} of one tensor, from its typed fields or its tensor_content. */
  @FunctionalInterface
  interface ElementWriter {
    void write(JsonGenerator g, int i) throws IOException;

    static ElementWriter of(TensorProto t, long[] shape, boolean b64, String what) {
      DataType dt = t.getDtype();
      long n = product(shape, 0);
      if (n == 0) return (g, i) -> {};
      if (!t.getTensorContent().isEmpty()) {
        int size = byteSize(dt, what);
        ByteBuffer bb = t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (bb.remaining() != n * size) {
          throw new IllegalArgumentException(
              what + " has " + bb.remaining() + " bytes of tensor_content, expected " + n * size
                  + " for shape " + Arrays.toString(shape) + " of " + dt);
        }
        switch (dt) {
          case DT_FLOAT:
            {
              char[] buf = new char[16];
              return (g, i) -> writeFloat(g, bb.getFloat(i * 4), buf);
            }
          case DT_DOUBLE:
            return (g, i) -> g.writeNumber(bb.getDouble(i * 8));
          case DT_HALF:
            return (g, i) -> g.writeNumber(HalfFloats.halfToFloat(bb.getShort(i * 2)));
          case DT_BFLOAT16:
            return (g, i) -> g.writeNumber(HalfFloats.bfloat16ToFloat(bb.getShort(i * 2)));
          case DT_INT8:
            return (g, i) -> g.writeNumber(bb.get(i));
          case DT_UINT8:
            return (g, i) -> g.writeNumber(bb.get(i) & 0xff);
          case DT_INT16:
            return (g, i) -> g.writeNumber(bb.getShort(i * 2));
          case DT_UINT16:
            return (g, i) -> g.writeNumber(bb.getShort(i * 2) & 0xffff);
          case DT_INT32:
            return (g, i) -> g.writeNumber(bb.getInt(i * 4));
          case DT_UINT32:
            return (g, i) -> g.writeNumber(Integer.toUnsignedLong(bb.getInt(i * 4)));
          case DT_INT64:
            return (g, i) -> g.writeNumber(bb.getLong(i * 8));
          case DT_UINT64:
            return (g, i) -> writeUnsigned(g, bb.getLong(i * 8));
          case DT_BOOL:
            return (g, i) -> g.writeBoolean(bb.get(i) != 0);
          default:
            throw unsupported(dt, what);
        }
      }
      int count = typedCount(t, dt, what);
      if (count == 0 || count > n) {
        throw new IllegalArgumentException(
            what + " has " + count + " values for shape " + Arrays.toString(shape) + " (" + n
                + " elements)");
      }
      // TensorProto may list fewer values than elements: the last one repeats.
      int last = count - 1;
      switch (dt) {
        case DT_FLOAT:
          {
            char[] buf = new char[16];
            return (g, i) -> writeFloat(g, t.getFloatVal(Math.min(i, last)), buf);
          }
        case DT_DOUBLE:
          return (g, i) -> g.writeNumber(t.getDoubleVal(Math.min(i, last)));
        case DT_HALF:
          return (g, i) -> g.writeNumber(HalfFloats.halfToFloat(t.getHalfVal(Math.min(i, last))));
        case DT_BFLOAT16:
          return (g, i) ->
              g.writeNumber(HalfFloats.bfloat16ToFloat(t.getHalfVal(Math.min(i, last))));
        case DT_INT8:
          return (g, i) -> g.writeNumber((byte) t.getIntVal(Math.min(i, last)));
        case DT_UINT8:
          return (g, i) -> g.writeNumber(t.getIntVal(Math.min(i, last)) & 0xff);
        case DT_INT16:
          return (g, i) -> g.writeNumber((short) t.getIntVal(Math.min(i, last)));
        case DT_UINT16:
          return (g, i) -> g.writeNumber(t.getIntVal(Math.min(i, last)) & 0xffff);
        case DT_INT32:
          return (g, i) -> g.writeNumber(t.getIntVal(Math.min(i, last)));
        case DT_UINT32:
          return (g, i) -> g.writeNumber(Integer.toUnsignedLong(t.getUint32Val(Math.min(i, last))));
        case DT_INT64:
          return (g, i) -> g.writeNumber(t.getInt64Val(Math.min(i, last)));
        case DT_UINT64:
          return (g, i) -> writeUnsigned(g, t.getUint64Val(Math.min(i, last)));
        case DT_BOOL:
          return (g, i) -> g.writeBoolean(t.getBoolVal(Math.min(i, last)));
        case DT_STRING:
          return (g, i) -> {
            ByteString s = t.getStringVal(Math.min(i, last));
            if (b64 || !s.isValidUtf8()) {
              g.writeStartObject();
              g.writeStringField(B64, Base64.getEncoder().encodeToString(s.toByteArray()));
              g.writeEndObject();
            } else {
              g.writeString(s.toStringUtf8());
            }
          };
        default:
          throw unsupported(dt, what);
      }
    }
  }

  private static void writeUnsigned(JsonGenerator g, long v) throws IOException {
    if (v >= 0) g.writeNumber(v);
    else g.writeNumber(new BigInteger(Long.toUnsignedString(v)));
  }

  private static IllegalArgumentException unsupported(DataType dt, String what) {
    return new IllegalArgumentException(
        what + " has dtype " + dt + ", which TF Serving's REST API cannot carry"
            + " (bool, string, integer and floating point only); use gRPC");
  }

  /** Bytes per element of a dtype REST can carry (numbers and bool); others refused naming REST. */
  private static int byteSize(DataType dt, String what) {
    if (dt == DataType.DT_STRING || dt == DataType.DT_COMPLEX64 || dt == DataType.DT_COMPLEX128
        || !DataTypes.isSupported(dt)) {
      throw unsupported(dt, what);
    }
    return DataTypes.byteSize(dt);
  }

  private static int typedCount(TensorProto t, DataType dt, String what) {
    switch (dt) {
      case DT_FLOAT:
        return t.getFloatValCount();
      case DT_DOUBLE:
        return t.getDoubleValCount();
      case DT_HALF:
      case DT_BFLOAT16:
        return t.getHalfValCount();
      case DT_INT8:
      case DT_UINT8:
      case DT_INT16:
      case DT_UINT16:
      case DT_INT32:
        return t.getIntValCount();
      case DT_UINT32:
        return t.getUint32ValCount();
      case DT_INT64:
        return t.getInt64ValCount();
      case DT_UINT64:
        return t.getUint64ValCount();
      case DT_BOOL:
        return t.getBoolValCount();
      case DT_STRING:
        return t.getStringValCount();
      default:
        throw unsupported(dt, what);
    }
  }

  @FunctionalInterface
  interface JsonWriting {
    void write(JsonGenerator g) throws IOException;
  }

  static byte[] bytes(JsonWriting body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
