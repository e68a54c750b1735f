package dev.tfkit.savedmodel;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Small NodeDef and TensorProto builders for the nodes the exporter adds (saver, init, assets). */
final class Nodes {
  private Nodes() {}

  static NodeDef.Builder node(String op, String name, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setOp(op).setName(name);
    for (String in : inputs) b.addInput(in);
    return b;
  }

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static AttrValue types(List<DataType> ts) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    ts.forEach(l::addType);
    return AttrValue.newBuilder().setList(l).build();
  }

  static AttrValue bool(boolean v) {
    return AttrValue.newBuilder().setB(v).build();
  }

  static AttrValue shape(TensorShapeProto s) {
    return AttrValue.newBuilder().setShape(s).build();
  }

  static TensorShapeProto scalarShape() {
    return TensorShapeProto.getDefaultInstance();
  }

  static NodeDef constant(String name, TensorProto value) {
    return node("Const", name)
        .putAttr("dtype", type(value.getDtype()))
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build())
        .build();
  }

  static TensorProto stringScalar(String s) {
    return TensorProto.newBuilder()
        .setDtype(DataType.DT_STRING)
        .setTensorShape(scalarShape())
        .addStringVal(ByteString.copyFrom(s, StandardCharsets.UTF_8))
        .build();
  }

  static TensorProto stringVector(List<String> values) {
    TensorProto.Builder b =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_STRING)
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(values.size())));
    for (String v : values) b.addStringVal(ByteString.copyFrom(v, StandardCharsets.UTF_8));
    return b.build();
  }

  /** The op name of a tensor or input reference: {@code ^a}, {@code a:1} and {@code a} name {@code a}. */
  static String opName(String ref) {
    String s = ref.startsWith("^") ? ref.substring(1) : ref;
    int colon = s.lastIndexOf(':');
    if (colon > 0 && s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      s = s.substring(0, colon);
    }
    return s;
  }

  /** The output index of a tensor reference ({@code a:1} → 1, {@code a} → 0). */
  static int outputIndex(String ref) {
    int colon = ref.lastIndexOf(':');
    if (colon > 0 && colon < ref.length() - 1 && ref.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      return Integer.parseInt(ref.substring(colon + 1));
    }
    return 0;
  }

  /** A tensor name in the canonical {@code op:index} form. */
  static String tensorName(String ref) {
    return opName(ref) + ":" + outputIndex(ref);
  }

}
