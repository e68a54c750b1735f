package dev.tfkit.graph;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import org.tensorflow.Graph;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Fuzzes the GraphDef loader: small graphs of common ops whose constants, shape attributes and
 * dtypes come from the fuzzer (ranks up to 300, sizes up to 2^62, negative sizes, unknown dtype
 * numbers), validated by {@link GraphValidator} and, when accepted, imported by TensorFlow — where
 * shape inference runs the CHECKs that abort the process. A clean refusal or a clean TensorFlow
 * error is fine; an abort ends the fuzzer and is a finding.
 */
class GraphDefFuzzTest {
  private static final String[] OPS = {
    "Const", "Placeholder", "Identity", "Add", "Reshape", "Fill", "Shape", "ZerosLike", "ExpandDims",
    "Squeeze", "Tile", "Pack", "Transpose", "BroadcastTo", "MatMul", "Sum", "Cast", "Size", "Rank",
  };
  private static final DataType[] TYPES = {
    DataType.DT_FLOAT, DataType.DT_INT32, DataType.DT_INT64, DataType.DT_STRING, DataType.DT_BOOL, DataType.DT_HALF,
  };

  private static TensorShapeProto shape(FuzzedDataProvider d, boolean partial) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    int rank = d.consumeBoolean() ? d.consumeInt(0, 4) : d.consumeInt(0, 300);
    for (int i = 0; i < rank && d.remainingBytes() > 0; i++) {
      long size = switch (d.consumeInt(0, 4)) {
        case 0 -> d.consumeLong(-3, 3);
        case 1 -> 1L << d.consumeInt(0, 62);
        case 2 -> d.consumeLong();
        default -> d.consumeLong(0, 8);
      };
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(partial ? size : Math.max(size, d.consumeBoolean() ? size : 0)));
    }
    return s.build();
  }

  private static TensorProto tensor(FuzzedDataProvider d) {
    DataType t = d.consumeBoolean() ? TYPES[d.consumeInt(0, TYPES.length - 1)] : DataType.forNumber(d.consumeInt(0, 30));
    TensorProto.Builder b = TensorProto.newBuilder().setDtypeValue(t == null ? d.consumeInt(0, 200) : t.getNumber())
        .setTensorShape(shape(d, false));
    switch (d.consumeInt(0, 3)) {
      case 0 -> b.setTensorContent(ByteString.copyFrom(d.consumeBytes(d.consumeInt(0, 64))));
      case 1 -> { for (int i = d.consumeInt(0, 8); i > 0; i--) b.addFloatVal(d.consumeFloat()); }
      case 2 -> { for (int i = d.consumeInt(0, 8); i > 0; i--) b.addIntVal(d.consumeInt()); }
      default -> { for (int i = d.consumeInt(0, 4); i > 0; i--) b.addStringVal(ByteString.copyFrom(d.consumeBytes(8))); }
    }
    return b.build();
  }

  @FuzzTest(maxDuration = "30s")
  void importsOrRefusesCleanly(FuzzedDataProvider d) {
    GraphDef.Builder g = GraphDef.newBuilder();
    int nodes = d.consumeInt(1, 6);
    for (int i = 0; i < nodes; i++) {
      String op = OPS[d.consumeInt(0, OPS.length - 1)];
      NodeDef.Builder n = NodeDef.newBuilder().setName("n" + i).setOp(op);
      int inputs = op.equals("Const") || op.equals("Placeholder") || i == 0 ? 0 : d.consumeInt(1, 2);
      for (int k = 0; k < inputs; k++) n.addInput("n" + d.consumeInt(0, i - 1));
      DataType t = TYPES[d.consumeInt(0, TYPES.length - 1)];
      switch (op) {
        case "Const" -> {
          TensorProto v = tensor(d);
          n.putAttr("dtype", AttrValue.newBuilder().setTypeValue(v.getDtypeValue()).build());
          n.putAttr("value", AttrValue.newBuilder().setTensor(v).build());
        }
        case "Placeholder" -> {
          n.putAttr("dtype", AttrValue.newBuilder().setType(t).build());
          n.putAttr("shape", AttrValue.newBuilder().setShape(shape(d, true)).build());
        }
        default -> n.putAttr("T", AttrValue.newBuilder().setType(t).build());
      }
      if (d.consumeBoolean()) {
        n.putAttr("_output_shapes", AttrValue.newBuilder().setList(
            AttrValue.ListValue.newBuilder().addShape(shape(d, true))).build());
      }
      g.addNode(n);
    }
    GraphDef graph = g.build();
    try {
      GraphValidator.validate(graph, "fuzz");
    } catch (IllegalArgumentException e) {
      return;
    }
    try (Graph native_ = new Graph()) {
      native_.importGraphDef(graph);
    } catch (TensorFlowException | IllegalArgumentException | UnsupportedOperationException e) {
      // TensorFlow refused it cleanly (TF Java throws INVALID_ARGUMENT as IllegalArgumentException)
    }
  }
}
