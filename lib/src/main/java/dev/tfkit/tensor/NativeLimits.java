package dev.tfkit.tensor;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.VariantTensorDataProto;

/**
 * The limits that TensorFlow's C++ enforces with fatal CHECKs (which abort the whole process, no
 * Java catch saves it), checked in Java first: every shape, tensor and dtype that tfkit hands to
 * native code — request tensors, graph constants and attributes, SavedModel signatures, TF.js
 * weights — goes through here, so one set of rules protects the server, {@code ModelGraph}, {@code
 * TensorValue} and the loaders.
 *
 * <p>The rules mirror {@code tensorflow/core/framework/tensor_shape.cc} ({@code AddDim}: at most
 * {@link #MAX_RANK} dimensions, sizes of 0 or more — or -1 for "unknown" in partial shapes — and an
 * element count that fits in an int64) and {@code Tensor::FromProto} (a dtype that exists, packed
 * bytes that match the shape, no more values than elements). Every failure is an {@link
 * IllegalArgumentException} whose message starts with {@code what}.
 */
public final class NativeLimits {
  /** TensorFlow's {@code TensorShape::MaxDimensions()}: a 255th dimension is a fatal CHECK. */
  public static final int MAX_RANK = 254;

  /**
   * Largest decoded size of one tensor in a graph or request (4 GiB): a constant whose shape asks
   * for more from a handful of values would make TensorFlow allocate it whole.
   */
  public static final long MAX_TENSOR_BYTES = 1L << 32;

  /** Bytes TensorFlow spends on one string element ({@code tstring}) besides its payload. */
  private static final int STRING_ELEMENT_BYTES = 24;

  private NativeLimits() {}

  /**
   * Checks a concrete shape given as sizes: rank, no negative sizes, and an element count that
   * fits in a long; returns the element count.
   */
  public static long checkShape(long[] dims, String what) {
    checkRank(dims.length, what);
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException(
            what + ": dimension " + i + " has size " + dims[i] + "; sizes must be 0 or more");
      }
      n = multiply(n, dims[i], what, dims);
    }
    return n;
  }

  /**
   * Checks a shape proto: rank at most {@link #MAX_RANK}, sizes of 0 or more ({@code partial}:
   * also -1, "unknown"), a known-size product that fits in a long, and no dimensions beside
   * {@code unknown_rank}. Returns the element count of the known dimensions (-1 for unknown rank).
   */
  public static long checkShape(TensorShapeProto shape, boolean partial, String what) {
    if (shape.getUnknownRank()) {
      if (!partial) {
        throw new IllegalArgumentException(what + ": the shape has unknown rank; a value needs a known shape");
      }
      if (shape.getDimCount() > 0) {
        throw new IllegalArgumentException(
            what + ": the shape has unknown_rank set and " + shape.getDimCount() + " dimensions");
      }
      return -1;
    }
    checkRank(shape.getDimCount(), what);
    long n = 1;
    for (int i = 0; i < shape.getDimCount(); i++) {
      long d = shape.getDim(i).getSize();
      if (d < (partial ? -1 : 0)) {
        throw new IllegalArgumentException(
            what + ": dimension " + i + " has size " + d + "; sizes must be 0 or more"
                + (partial ? " (or -1 for unknown)" : ""));
      }
      if (d >= 0) {
        n = multiply(n, d, what, shape);
      }
    }
    return n;
  }

  /**
   * Checks a TensorProto as {@code Tensor::FromProto} and {@code TensorShape} will see it: a dtype
   * that exists (no reference types), a full shape within the limits, packed bytes that match it,
   * no more typed values than elements, a decoded size within {@link #MAX_TENSOR_BYTES}, and the
   * same for the tensors nested in variant values. Returns the element count.
   */
  public static long checkTensor(TensorProto t, String what) {
    DataType dtype = t.getDtype();
    if (dtype == DataType.UNRECOGNIZED || dtype == DataType.DT_INVALID) {
      throw new IllegalArgumentException(what + ": dtype number " + t.getDtypeValue() + " does not exist");
    }
    if (t.getDtypeValue() > 100) {
      throw new IllegalArgumentException(what + ": a tensor cannot have the reference dtype " + dtype);
    }
    long elements = checkShape(t.getTensorShape(), false, what);
    int width = byteWidth(dtype);
    long perElement = width > 0 ? width : STRING_ELEMENT_BYTES;
    long bytes;
    try {
      bytes = Math.multiplyExact(elements, perElement);
    } catch (ArithmeticException overflow) {
      bytes = Long.MAX_VALUE;
    }
    if (bytes > MAX_TENSOR_BYTES) {
      throw new IllegalArgumentException(
          what + ": " + DataTypes.name(dtype) + shapeString(t.getTensorShape()) + " would take "
              + (bytes == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(bytes))
              + " bytes, more than the limit of " + MAX_TENSOR_BYTES);
    }
    if (!t.getTensorContent().isEmpty() && width > 0
        && t.getTensorContent().size() != elements * width) {
      throw new IllegalArgumentException(
          what + ": tensor_content has " + t.getTensorContent().size() + " bytes but "
              + DataTypes.name(dtype) + shapeString(t.getTensorShape()) + " needs " + elements * width);
    }
    long perValue = DataTypes.isComplex(dtype) ? 2 : 1;
    int values = Math.max(typedValues(t), t.getStringValCount());
    if (values > elements * perValue) {
      throw new IllegalArgumentException(
          what + ": " + values + " values for " + shapeString(t.getTensorShape()) + " ("
              + elements + " elements)");
    }
    for (int i = 0; i < t.getVariantValCount(); i++) {
      VariantTensorDataProto v = t.getVariantVal(i);
      for (int j = 0; j < v.getTensorsCount(); j++) {
        checkTensor(v.getTensors(j), what + " variant " + i + " tensor " + j);
      }
    }
    return elements;
  }

  /**
   * Bytes per element of {@code dtype} in {@code tensor_content}, for every dtype TensorFlow packs
   * (quantized and 8-bit float types included; 4-bit integers take a byte each); 0 for string,
   * resource and variant, which have no packed form.
   */
  public static int byteWidth(DataType dtype) {
    return switch (dtype) {
      case DT_BOOL, DT_INT8, DT_UINT8, DT_QINT8, DT_QUINT8, DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN,
          DT_INT4, DT_UINT4 -> 1;
      case DT_INT16, DT_UINT16, DT_HALF, DT_BFLOAT16, DT_QINT16, DT_QUINT16 -> 2;
      case DT_FLOAT, DT_INT32, DT_UINT32, DT_QINT32 -> 4;
      case DT_DOUBLE, DT_INT64, DT_UINT64, DT_COMPLEX64 -> 8;
      case DT_COMPLEX128 -> 16;
      default -> 0;
    };
  }

  /** Checks that a dtype exists; reference dtypes ({@code DT_FLOAT_REF}) only where {@code refOk}. */
  public static void checkDataType(DataType dtype, int number, boolean refOk, String what) {
    if (dtype == DataType.UNRECOGNIZED) {
      throw new IllegalArgumentException(what + ": dtype number " + number + " does not exist");
    }
    if (!refOk && number > 100) {
      throw new IllegalArgumentException(what + ": the reference dtype " + dtype + " is not allowed here");
    }
  }

  /**
   * Checks every node of a graph and of its function library: each attribute's tensors, shapes
   * and dtypes. {@code source} (a file or folder) starts every message, followed by the node and
   * the attribute.
   */
  public static void checkGraph(GraphDef graph, String source) {
    for (NodeDef n : graph.getNodeList()) {
      checkNode(n, source + ": node '" + n.getName() + "'");
    }
    for (FunctionDef f : graph.getLibrary().getFunctionList()) {
      String fn = source + ": function '" + f.getSignature().getName() + "'";
      checkAttrs(f.getAttrMap(), fn);
      f.getArgAttrMap().forEach((arg, attrs) -> checkAttrs(attrs.getAttrMap(), fn + " argument " + arg));
      checkMessage(f.getSignature(), fn + " signature");
      for (NodeDef n : f.getNodeDefList()) {
        checkNode(n, fn + " node '" + n.getName() + "'");
      }
    }
  }

  /**
   * Checks a MetaGraphDef: its graph, and every shape, tensor and dtype elsewhere in it
   * (signatures, collections, the object graph).
   */
  public static void checkMetaGraph(MetaGraphDef meta, String source) {
    checkGraph(meta.getGraphDef(), source);
    checkMessage(meta.toBuilder().clearGraphDef().build(), source);
  }

  private static void checkNode(NodeDef n, String where) {
    checkAttrs(n.getAttrMap(), where);
  }

  private static void checkAttrs(Map<String, AttrValue> attrs, String where) {
    for (Map.Entry<String, AttrValue> e : attrs.entrySet()) {
      checkAttr(e.getValue(), where + " attribute '" + e.getKey() + "'");
    }
  }

  private static void checkAttr(AttrValue v, String what) {
    switch (v.getValueCase()) {
      case TENSOR -> checkTensor(v.getTensor(), what);
      case SHAPE -> checkShape(v.getShape(), true, what);
      case TYPE -> checkDataType(v.getType(), v.getTypeValue(), true, what);
      case FUNC -> checkFunc(v.getFunc(), what);
      case LIST -> {
        AttrValue.ListValue l = v.getList();
        for (int i = 0; i < l.getTensorCount(); i++) checkTensor(l.getTensor(i), what + "[" + i + "]");
        for (int i = 0; i < l.getShapeCount(); i++) checkShape(l.getShape(i), true, what + "[" + i + "]");
        for (int i = 0; i < l.getTypeCount(); i++) {
          checkDataType(l.getType(i), l.getTypeValue(i), true, what + "[" + i + "]");
        }
        for (int i = 0; i < l.getFuncCount(); i++) checkFunc(l.getFunc(i), what + "[" + i + "]");
      }
      default -> { }
    }
  }

  private static void checkFunc(NameAttrList f, String what) {
    checkAttrs(f.getAttrMap(), what + " (function '" + f.getName() + "')");
  }

  /**
   * Walks any message and checks each TensorProto, TensorShapeProto and DataType found in it. For
   * the parts of a SavedModel no specific check covers; the graph itself has the faster {@link
   * #checkGraph}.
   */
  public static void checkMessage(Message m, String what) {
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String where = what + " " + f.getName();
      if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          checkField(f, items.get(i), where + "[" + i + "]");
        }
      } else {
        checkField(f, e.getValue(), where);
      }
    }
  }

  private static void checkField(FieldDescriptor f, Object value, String what) {
    if (value instanceof TensorProto t) {
      checkTensor(t, what);
    } else if (value instanceof TensorShapeProto s) {
      checkShape(s, true, what);
    } else if (value instanceof GraphDef g) {
      checkGraph(g, what);
    } else if (value instanceof AttrValue a) {
      checkAttr(a, what);
    } else if (value instanceof Message msg) {
      if (f.isMapField()) {
        // A map entry: its value field, named by its key.
        Object key = msg.getField(msg.getDescriptorForType().findFieldByName("key"));
        FieldDescriptor vf = msg.getDescriptorForType().findFieldByName("value");
        if (msg.hasField(vf) || vf.getType() != FieldDescriptor.Type.MESSAGE) {
          checkField(vf, msg.getField(vf), what.substring(0, what.lastIndexOf('[')) + "['" + key + "']");
        }
      } else {
        checkMessage(msg, what);
      }
    } else if (value instanceof EnumValueDescriptor ev
        && ev.getType().getFullName().equals(DataType.getDescriptor().getFullName())) {
      checkDataType(ev.getIndex() < 0 ? DataType.UNRECOGNIZED : DataType.forNumber(ev.getNumber()),
          ev.getNumber(), true, what);
    }
  }

  private static void checkRank(int rank, String what) {
    if (rank > MAX_RANK) {
      throw new IllegalArgumentException(
          what + ": the shape has " + rank + " dimensions; TensorFlow allows at most " + MAX_RANK);
    }
  }

  private static long multiply(long n, long d, String what, Object shape) {
    try {
      return Math.multiplyExact(n, d);
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException(
          what + ": shape " + (shape instanceof long[] l ? Shapes.toString(l) : shapeString((TensorShapeProto) shape))
              + " has too many elements (more than an int64 counts)");
    }
  }

  private static int typedValues(TensorProto t) {
    return t.getFloatValCount() + t.getDoubleValCount() + t.getIntValCount() + t.getInt64ValCount()
        + t.getUint32ValCount() + t.getUint64ValCount() + t.getBoolValCount() + t.getHalfValCount()
        + t.getScomplexValCount() + t.getDcomplexValCount() + t.getResourceHandleValCount()
        + t.getVariantValCount();
  }

  /** {@code [2,3]}, {@code [?]} for unknown sizes; long shapes shortened after 8 dimensions. */
  public static String shapeString(TensorShapeProto s) {
    if (s.getUnknownRank()) return "<unknown rank>";
    StringBuilder sb = new StringBuilder("[");
    int shown = Math.min(s.getDimCount(), 8);
    for (int i = 0; i < shown; i++) {
      long d = s.getDim(i).getSize();
      sb.append(i == 0 ? "" : ",").append(d < 0 ? "?" : String.valueOf(d));
    }
    if (shown < s.getDimCount()) sb.append(",... ").append(s.getDimCount()).append(" dimensions");
    return sb.append(']').toString();
  }
}
