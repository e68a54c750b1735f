package dev.tfkit.tensor;

import static dev.tfkit.testing.TestTensors.ones;
import static dev.tfkit.testing.TestTensors.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.VariantTensorDataProto;

/** The rules of {@link NativeLimits}, one by one, at and just past each limit. */
class NativeLimitsTest {
  @Test
  void rankUpTo254PassesAnd255IsRefused() {
    assertThat(NativeLimits.checkShape(ones(254), "t")).isEqualTo(1);
    assertThat(NativeLimits.checkShape(shape(ones(254)), false, "t")).isEqualTo(1);
    assertThatThrownBy(() -> NativeLimits.checkShape(ones(255), "t"))
        .hasMessage("t: the shape has 255 dimensions; TensorFlow allows at most 254");
    assertThatThrownBy(() -> NativeLimits.checkShape(shape(ones(255)), true, "t")).hasMessageContaining("255");
  }

  @Test
  void elementCountsMustFitAnInt64() {
    assertThat(NativeLimits.checkShape(new long[] {1L << 31, 1L << 31}, "t")).isEqualTo(1L << 62);
    assertThatThrownBy(() -> NativeLimits.checkShape(new long[] {1L << 32, 1L << 31}, "t"))
        .hasMessageContaining("too many elements");
    // Unknown sizes do not count; the known ones still must fit.
    assertThat(NativeLimits.checkShape(shape(-1, 1L << 40), true, "t")).isEqualTo(1L << 40);
    assertThatThrownBy(() -> NativeLimits.checkShape(shape(-1, 1L << 40, 1L << 40), true, "t"))
        .hasMessageContaining("too many elements");
  }

  @Test
  void negativeSizesOnlyAsUnknownInPartialShapes() {
    assertThatThrownBy(() -> NativeLimits.checkShape(shape(-1), false, "t")).hasMessageContaining("size -1");
    assertThatThrownBy(() -> NativeLimits.checkShape(shape(-2), true, "t")).hasMessageContaining("size -2");
    assertThat(NativeLimits.checkShape(TensorShapeProto.newBuilder().setUnknownRank(true).build(), true, "t")).isEqualTo(-1);
    assertThatThrownBy(() -> NativeLimits.checkShape(
        TensorShapeProto.newBuilder().setUnknownRank(true).addDim(TensorShapeProto.Dim.newBuilder().setSize(2)).build(), true, "t"))
        .hasMessageContaining("unknown_rank");
  }

  @Test
  void tensorsNeedARealDtypeMatchingContentAndABoundedSize() {
    TensorProto.Builder f = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(2, 2));
    assertThat(NativeLimits.checkTensor(f.setTensorContent(ByteString.copyFrom(new byte[16])).build(), "c")).isEqualTo(4);
    assertThatThrownBy(() -> NativeLimits.checkTensor(f.setTensorContent(ByteString.copyFrom(new byte[15])).build(), "c"))
        .hasMessageContaining("15 bytes").hasMessageContaining("needs 16");
    assertThatThrownBy(() -> NativeLimits.checkTensor(f.clearTensorContent().addFloatVal(1).addFloatVal(2)
        .addFloatVal(3).addFloatVal(4).addFloatVal(5).build(), "c")).hasMessageContaining("5 values");
    assertThatThrownBy(() -> NativeLimits.checkTensor(TensorProto.newBuilder().setDtypeValue(77).build(), "c"))
        .hasMessage("c: dtype number 77 does not exist");
    assertThatThrownBy(() -> NativeLimits.checkTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT_REF).build(), "c"))
        .hasMessageContaining("reference dtype");
    // One value may fill a shape, but not one TensorFlow would have to allocate past 4 GiB for.
    assertThat(NativeLimits.checkTensor(TensorProto.newBuilder().setDtype(DataType.DT_INT8)
        .setTensorShape(shape(1L << 32)).addIntVal(1).build(), "c")).isEqualTo(1L << 32);
    assertThatThrownBy(() -> NativeLimits.checkTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(1L << 32)).addFloatVal(1).build(), "c")).hasMessageContaining("limit");
    // Quantized and 8-bit float types pack one byte an element.
    assertThat(NativeLimits.checkTensor(TensorProto.newBuilder().setDtype(DataType.DT_QUINT8)
        .setTensorShape(shape(3)).setTensorContent(ByteString.copyFrom(new byte[3])).build(), "c")).isEqualTo(3);
  }

  @Test
  void tensorsInsideVariantsAreCheckedToo() {
    TensorProto inner = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(ones(300))).build();
    TensorProto v = TensorProto.newBuilder().setDtype(DataType.DT_VARIANT).setTensorShape(shape())
        .addVariantVal(VariantTensorDataProto.newBuilder().setTypeName("tensorflow::TensorList").addTensors(inner)).build();
    assertThatThrownBy(() -> NativeLimits.checkTensor(v, "c")).hasMessageContaining("c variant 0 tensor 0");
  }

  @Test
  void graphChecksNameTheNodeTheAttributeAndNestedFunctionAttributes() {
    NodeDef n = NodeDef.newBuilder().setName("call").setOp("PartitionedCall")
        .putAttr("f", AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName("fn")
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(ones(256))).build())).build()).build();
    GraphDef g = GraphDef.newBuilder().addNode(n).build();
    assertThatThrownBy(() -> NativeLimits.checkGraph(g, "model.pb"))
        .hasMessageStartingWith("model.pb: node 'call' attribute 'f' (function 'fn') attribute 'shape'");
    NodeDef types = NodeDef.newBuilder().setName("t").setOp("IdentityN")
        .putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addTypeValue(1).addTypeValue(500)).build()).build();
    assertThatThrownBy(() -> NativeLimits.checkGraph(GraphDef.newBuilder().addNode(types).build(), "g"))
        .hasMessage("g: node 't' attribute 'T'[1]: dtype number 500 does not exist");
  }

  @Test
  void metaGraphWalkFindsShapesInSignaturesAndCollections() {
    MetaGraphDef ok = MetaGraphDef.newBuilder()
        .putSignatureDef("serving_default", SignatureDef.newBuilder()
            .putInputs("x", TensorInfo.newBuilder().setName("x:0").setTensorShape(shape(-1, 3)).build()).build())
        .putCollectionDef("c", CollectionDef.newBuilder().setBytesList(CollectionDef.BytesList.newBuilder()
            .addValue(ByteString.copyFromUtf8("anything"))).build())
        .build();
    NativeLimits.checkMetaGraph(ok, "sm");
    MetaGraphDef bad = ok.toBuilder().putSignatureDef("other", SignatureDef.newBuilder()
        .putOutputs("y", TensorInfo.newBuilder().setTensorShape(shape(1L << 62, 8)).build()).build()).build();
    assertThatThrownBy(() -> NativeLimits.checkMetaGraph(bad, "sm"))
        .hasMessageStartingWith("sm signature_def['other'] outputs['y'] tensor_shape");
  }
}
