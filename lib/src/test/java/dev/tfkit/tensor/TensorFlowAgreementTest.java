package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorFlow itself is the referee: our TensorProtos (both encodings, every dtype) are placed as
 * the value of a Const node, TensorFlow's own Tensor::FromProto decodes them when the graph is
 * imported, and what it computes must equal what tfkit decodes. Dtypes TF Java cannot fetch go
 * through a Cast (or Real/Imag for complex) inside the graph.
 */
class TensorFlowAgreementTest {

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DataType d : DataTypes.supported()) {
      for (TensorEncoding e : TensorEncoding.values()) {
        out.add(Arguments.of(d, new long[] {2, 3}, e));
        out.add(Arguments.of(d, new long[] {}, e));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void tensorFlowDecodesOurProtosToTheSameValues(DataType d, long[] shape, TensorEncoding enc) {
    int n = 1;
    for (long x : shape) n *= (int) x;
    Object flat = TensorRoundTripTest.values(d, n, new Random(99 + n));
    TensorValue v = TensorValue.fromFlat(d, flat, shape);
    List<TensorValue> tf = evaluate(v.toProto(enc));
    assertThat(tf).isEqualTo(fetchable(TensorValue.fromProto(v.toProto(enc))));
    // ... and what TensorFlow decoded is the Java input itself (so the encoding is right too).
    if (DataTypes.isComplex(d)) {
      double[] pairs = new double[2 * n];
      double[] re = tf.get(0).doubles();
      double[] im = tf.get(1).doubles();
      for (int i = 0; i < n; i++) {
        pairs[2 * i] = re[i];
        pairs[2 * i + 1] = im[i];
      }
      if (flat instanceof float[]) {
        float[] f = (float[]) flat;
        for (int i = 0; i < f.length; i++) assertThat((float) pairs[i]).isEqualTo(f[i]);
      } else {
        assertThat(pairs).containsExactly((double[]) flat);
      }
    } else {
      TensorRoundTripTest.assertSameValues(tf.get(0), fetchType(d) == d ? d : DataType.DT_INT64, flat);
    }
  }

  @Test
  void tensorFlowAppliesTheSameFillRuleToTypedFields() {
    List<TensorProto> protos = List.of(
        proto(DataType.DT_FLOAT, 2, 3).addFloatVal(7.5f).build(),
        proto(DataType.DT_INT32, 5).addIntVal(1).addIntVal(-2).build(),
        proto(DataType.DT_HALF, 3).addHalfVal(0x3C00).addHalfVal(0x7C00).build(),
        proto(DataType.DT_BFLOAT16, 2, 2).addHalfVal(0xC000).build(),
        proto(DataType.DT_INT8, 4).addIntVal(-5).build(),
        proto(DataType.DT_UINT8, 3).addIntVal(250).addIntVal(3).build(),
        proto(DataType.DT_UINT32, 3).addUint32Val(-1).build(),
        proto(DataType.DT_UINT64, 2).addUint64Val(-2L).build(),
        proto(DataType.DT_BOOL, 3).addBoolVal(false).addBoolVal(true).build(),
        proto(DataType.DT_COMPLEX64, 3).addScomplexVal(1f).addScomplexVal(-1f).build(),
        proto(DataType.DT_DOUBLE, 4).build(),
        proto(DataType.DT_STRING, 3).addStringVal(ByteString.copyFromUtf8("x")).build());
    for (TensorProto p : protos) {
      assertThat(evaluate(p)).as("%s", p.getDtype()).isEqualTo(fetchable(TensorValue.fromProto(p)));
    }
  }

  private static TensorProto.Builder proto(DataType d, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long x : dims) s.addDim(TensorShapeProto.Dim.newBuilder().setSize(x));
    return TensorProto.newBuilder().setDtype(d).setTensorShape(s);
  }

  /** The dtype TF Java can fetch that holds every value of {@code d} (as TF's Cast converts). */
  private static DataType fetchType(DataType d) {
    switch (d) {
      case DT_INT8: case DT_INT16: return DataType.DT_INT32;
      case DT_UINT32: case DT_UINT64: return DataType.DT_INT64;
      default: return d;
    }
  }

  /** tfkit's side: the decoded value converted the way the graph converts it. */
  private static List<TensorValue> fetchable(TensorValue v) {
    if (DataTypes.isComplex(v.dtype())) {
      DataType part = v.dtype() == DataType.DT_COMPLEX64 ? DataType.DT_FLOAT : DataType.DT_DOUBLE;
      double[] pairs = v.doubles();
      double[] re = new double[v.size()];
      double[] im = new double[v.size()];
      for (int i = 0; i < v.size(); i++) {
        re[i] = pairs[2 * i];
        im[i] = pairs[2 * i + 1];
      }
      return List.of(TensorValue.fromFlat(part, re, v.shape()), TensorValue.fromFlat(part, im, v.shape()));
    }
    return List.of(v.cast(fetchType(v.dtype())));
  }

  /** TensorFlow's side: a Const holding the proto, converted in the graph, fetched, copied out. */
  private static List<TensorValue> evaluate(TensorProto p) {
    DataType d = p.getDtype();
    GraphDef.Builder g = GraphDef.newBuilder();
    g.addNode(NodeDef.newBuilder().setName("c").setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(d).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(p).build()));
    List<String> fetches = new ArrayList<>();
    if (DataTypes.isComplex(d)) {
      DataType part = d == DataType.DT_COMPLEX64 ? DataType.DT_FLOAT : DataType.DT_DOUBLE;
      for (String op : new String[] {"Real", "Imag"}) {
        g.addNode(NodeDef.newBuilder().setName(op).setOp(op).addInput("c")
            .putAttr("T", AttrValue.newBuilder().setType(d).build())
            .putAttr("Tout", AttrValue.newBuilder().setType(part).build()));
        fetches.add(op);
      }
    } else if (fetchType(d) != d) {
      g.addNode(NodeDef.newBuilder().setName("cast").setOp("Cast").addInput("c")
          .putAttr("SrcT", AttrValue.newBuilder().setType(d).build())
          .putAttr("DstT", AttrValue.newBuilder().setType(fetchType(d)).build()));
      fetches.add("cast");
    } else {
      fetches.add("c");
    }
    List<TensorValue> out = new ArrayList<>();
    try (Graph graph = new Graph()) {
      graph.importGraphDef(g.build());
      try (Session s = new Session(graph)) {
        Session.Runner r = s.runner();
        for (String f : fetches) r.fetch(f);
        try (Result res = r.run()) {
          for (int i = 0; i < fetches.size(); i++) out.add(TensorValue.fromTensor(res.get(i)));
        }
      }
    }
    return out;
  }
}
