using MlNetRnn.Layers;
using MlNetRnn.Models;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>What every recurrent layer (SimpleRNN, LSTM, GRU both ways) must do, checked against Keras's equations.</summary>
[TestClass]
public sealed class RecurrentLayerTests
{
    [TestMethod]
    [DataRow(SimpleRnn, false, false)]
    [DataRow(Lstm, false, false)]
    [DataRow(Lstm, true, false)]
    [DataRow(Lstm, false, true)]
    [DataRow(Lstm, true, true)]
    [DataRow(Gru, true, true)]
    [DataRow(GruResetBefore, false, true)]
    public void OutputShapes_ForEveryReturnCombination(string kind, bool returnSequences, bool returnState)
    {
        using var scope = NewDisposeScope();
        using var model = Functional(Make(kind, 6, returnSequences, returnState), 5, 3);
        var outputs = model.PredictOutputs(RandomBatch(4, 5, 3, 1));
        int states = returnState ? StateCount(kind) : 0;
        Assert.HasCount(1 + states, outputs);
        long[] expected = returnSequences ? [4, 5, 6] : [4, 6];
        CollectionAssert.AreEqual(expected, outputs[0].shape);
        CollectionAssert.AreEqual(expected[1..], model.OutputShapes[0]);
        for (int i = 1; i <= states; i++)
        {
            CollectionAssert.AreEqual(new long[] { 4, 6 }, outputs[i].shape);
            CollectionAssert.AreEqual(new long[] { 6 }, model.OutputShapes[i]);
        }
    }

    [TestMethod]
    [DataRow(SimpleRnn, new long[] { 3, 6 }, new long[] { 6, 6 }, new long[] { 6 })]
    [DataRow(Lstm, new long[] { 3, 24 }, new long[] { 6, 24 }, new long[] { 24 })]
    [DataRow(Gru, new long[] { 3, 18 }, new long[] { 6, 18 }, new long[] { 2, 18 })]
    [DataRow(GruResetBefore, new long[] { 3, 18 }, new long[] { 6, 18 }, new long[] { 18 })]
    public void Weights_HaveKerasShapes_AndRoundTrip(string kind, long[] kernel, long[] recurrent, long[] bias)
    {
        using var scope = NewDisposeScope();
        using var model = Functional(Make(kind, 6), 5, 3);
        var weights = model.GetWeights();
        CollectionAssert.AreEqual(new[] { kernel, recurrent, bias }.Select(Shape).ToArray(), weights.Select(w => Shape(w.shape)).ToArray());
        Assert.AreEqual(kernel[0] * kernel[1] + recurrent[0] * recurrent[1] + bias.Aggregate(1L, (a, b) => a * b), model.CountParams());
        var replacement = weights.Select((w, i) => RandomBatch(1, 1, w.numel(), 50 + i).reshape(w.shape)).ToArray();
        model.SetWeights(replacement);
        var back = model.GetWeights();
        for (int i = 0; i < 3; i++)
        {
            Assert.IsTrue(back[i].allclose(replacement[i], rtol: 0, atol: 0), $"weight {i}");
        }

        static string Shape(long[] s) => string.Join("×", s);
    }

    [TestMethod]
    [DataRow(SimpleRnn, false)]
    [DataRow(SimpleRnn, true)]
    [DataRow(Lstm, false)]
    [DataRow(Lstm, true)]
    [DataRow(Gru, false)]
    [DataRow(Gru, true)]
    [DataRow(GruResetBefore, false)]
    public void MatchesKerasEquations_WithAndWithoutPadding(string kind, bool goBackwards)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 4, returnSequences: true, returnState: true, goBackwards: goBackwards);
        using var model = Functional(layer, 6, 3);
        var x = RandomBatch(3, 6, 3, 7);
        var mask = RightPadded(6, 6, 2, 0);
        var step = Reference(kind, model.GetWeights());
        using var noGrad = no_grad();
        foreach (var m in new[] { null, mask })
        {
            var actual = layer.Call(x, m);
            var (sequence, states) = KerasReference.Run(step, x, m, 4, StateCount(kind), goBackwards);
            string what = m is null ? "unmasked" : "masked";
            Assert.IsTrue(actual[0].allclose(sequence, rtol: 0, atol: 1e-6), $"{what} outputs");
            for (int i = 0; i < states.Length; i++)
            {
                Assert.IsTrue(actual[1 + i].allclose(states[i], rtol: 0, atol: 1e-6), $"{what} state {i}");
            }
        }
    }

    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void Padding_ChangesNeitherRealOutputsNorFinalState_AndMaskedStepsRepeatTheLastOutput(string kind)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 5, returnSequences: true, returnState: true);
        using var model = Functional(layer, -1, 3);
        var x = RandomBatch(2, 6, 3, 4);
        using var noGrad = no_grad();
        var padded = layer.Call(x, RightPadded(6, 3, 0));
        var alone = layer.Call(x[..1, ..3]);
        Assert.IsTrue(padded[0][0, ..3].allclose(alone[0][0], rtol: 0, atol: 1e-6), "real steps");
        for (int i = 1; i < padded.Count; i++)
        {
            Assert.IsTrue(padded[i][0].allclose(alone[i][0], rtol: 0, atol: 1e-6), $"final state {i}");
            Assert.AreEqual(0.0, padded[i][1].abs().sum().item<float>(), $"state {i} of the empty row");
        }
        for (int t = 3; t < 6; t++)
        {
            Assert.IsTrue(padded[0][0, t].allclose(padded[0][0, 2], rtol: 0, atol: 0), $"step {t} repeats the last real output");
        }
        Assert.AreEqual(0.0, padded[0][1].abs().sum().item<float>(), "a row with no real step outputs zeros");
    }

    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void MaskWithHoles_SkipsMaskedSteps(string kind)
    {
        // Row [x1, x2 (masked), x3] must equal [x1, x3]; the masked step repeats x1's output.
        using var scope = NewDisposeScope();
        var layer = Make(kind, 4, returnSequences: true, returnState: true);
        using var model = Functional(layer, -1, 3);
        var x = RandomBatch(1, 3, 3, 21);
        using var noGrad = no_grad();
        var withHole = layer.Call(x, tensor(new[] { true, false, true }).reshape(1, 3));
        var without = layer.Call(x.index_select(1, tensor(new long[] { 0, 2 })));
        Assert.IsTrue(withHole[1].allclose(without[1], rtol: 0, atol: 1e-6), "state skips the hole");
        Assert.IsTrue(withHole[0][0, 2].allclose(without[0][0, 1], rtol: 0, atol: 1e-6), "output after the hole");
        Assert.IsTrue(withHole[0][0, 1].allclose(withHole[0][0, 0], rtol: 0, atol: 0), "the masked step repeats the previous output");
    }

    [TestMethod]
    [DataRow(SimpleRnn, false)]
    [DataRow(SimpleRnn, true)]
    [DataRow(Lstm, false)]
    [DataRow(Lstm, true)]
    public void FusedKernel_MatchesTheStepLoop(string kind, bool goBackwards)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 7, returnSequences: true, returnState: true, goBackwards: goBackwards);
        using var model = Functional(layer, 6, 4);
        Assert.IsTrue(layer.IsFused);
        var x = RandomBatch(3, 6, 4, 9);
        using var noGrad = no_grad();
        var masks = new[] { null, RightPadded(6, 6, 4, 1), RightPadded(6, 5, 0, 6) };
        for (int k = 0; k < masks.Length; k++)
        {
            AssertMatchesStepLoop(layer, x, masks[k], 1e-6, $"{kind} goBackwards={goBackwards} mask {k}");
        }
    }

    // Little padding (36 steps for 29 real ones, within RNN's 1.25) and no returned state: the fused kernel runs over
    // the padded batch unpacked; the outputs at real steps, and Keras's fillers at padding, are the step loop's.
    [TestMethod]
    [DataRow(SimpleRnn, false)]
    [DataRow(SimpleRnn, true)]
    [DataRow(Lstm, false)]
    [DataRow(Lstm, true)]
    public void FusedKernel_LittlePadding_MatchesTheStepLoop(string kind, bool goBackwards)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 7, returnSequences: true, goBackwards: goBackwards);
        using var model = Functional(layer, 6, 4);
        var x = RandomBatch(6, 6, 4, 10);
        var mask = RightPadded(6, 6, 6, 6, 6, 5, 0);
        Assert.IsTrue(RNN.RunsUnpacked(realSteps: 29, batchSteps: 36, returnState: false), "this batch takes the unpacked path");
        Assert.IsFalse(RNN.RunsUnpacked(realSteps: 28, batchSteps: 36, returnState: false));
        Assert.IsFalse(RNN.RunsUnpacked(realSteps: 29, batchSteps: 36, returnState: true));
        using var noGrad = no_grad();
        AssertMatchesStepLoop(layer, x, mask, 1e-6, $"{kind} goBackwards={goBackwards}");
    }

    // One sequence in inference runs the managed loop (SingleSequenceRecurrence) instead of libtorch's kernel or the step
    // loop: the same outputs and states as the step loop, with units that leave a remainder after the blocks of four
    // rows and after the vector width (130), in both directions, under inference mode and under no_grad, without a mask
    // and with a full one.
    [TestMethod]
    [DataRow(SimpleRnn, 7, false, true, false)]
    [DataRow(SimpleRnn, 130, true, true, true)]
    [DataRow(Lstm, 7, false, true, true)]
    [DataRow(Lstm, 130, true, false, false)]
    [DataRow(Lstm, 16, true, true, false)]
    [DataRow(Gru, 7, false, true, false)]
    [DataRow(Gru, 130, true, false, true)]
    [DataRow(GruResetBefore, 7, true, true, false)]
    [DataRow(GruResetBefore, 130, false, true, true)]
    public void OneSequenceInInference_MatchesTheStepLoop(string kind, int units, bool goBackwards, bool inferenceMode, bool fullMask)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, units, returnSequences: true, returnState: true, goBackwards: goBackwards);
        using var model = Functional(layer, 9, 5);
        var x = RandomBatch(1, 9, 5, 11);
        var mask = fullMask ? RightPadded(9, 9) : null;
        using var mode = inferenceMode ? inference_mode() : no_grad();
        Assert.IsTrue(SingleSequenceRecurrence.Applies(x));
        Assert.IsTrue(layer.Cell.HasSingleSequenceLoop);
        AssertMatchesStepLoop(layer, x, mask, 1e-5, $"{kind} {units} goBackwards={goBackwards}");
    }

    // One sequence with padding at its end is not all real steps: it runs libtorch's kernel or the step loop, with
    // Keras's mask semantics (state held, outputs repeated or zero), and agrees with the step loop.
    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void OneSequenceWithPadding_MatchesTheStepLoop(string kind)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 6, returnSequences: true, returnState: true);
        using var model = Functional(layer, 9, 5);
        var x = RandomBatch(1, 9, 5, 12);
        var mask = RightPadded(9, 6);
        using var inference = inference_mode();
        var run = AssertMatchesStepLoop(layer, x, mask, 1e-5, kind);
        Assert.IsTrue(run[0][0, 8].allclose(run[0][0, 5]), "padding repeats the last real output");
    }

    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    [DataRow(GruResetBefore)]
    public void Config_RoundTrips(string kind)
    {
        var layer = Make(kind, 5, returnSequences: true, goBackwards: true, dropout: 0.25, recurrentDropout: 0.5);
        var config = layer.GetConfig();
        config["name"] = "rnn_x";
        var rebuilt = kind switch
        {
            SimpleRnn => (RNN)SimpleRNN.FromConfig(new LayerConfig("SimpleRNN", config)),
            Lstm => LSTM.FromConfig(new LayerConfig("LSTM", config)),
            _ => GRU.FromConfig(new LayerConfig("GRU", config)),
        };
        Assert.AreEqual(layer.GetType(), rebuilt.GetType());
        Assert.AreEqual("rnn_x", rebuilt.Name);
        config.Remove("name");
        var again = rebuilt.GetConfig();
        again.Remove("name");
        Assert.AreEqual(config.ToJsonString(), again.ToJsonString());
        Assert.AreEqual(5, (int)config["units"]!);
        Assert.AreEqual(0.5, (double)config["recurrent_dropout"]!);
        Assert.IsTrue((bool)config["go_backwards"]!);
        Assert.AreEqual("uniform", (string)config["bias_initializer"]!);
    }

    [TestMethod]
    public void Config_NamesKerasKeys()
    {
        var lstm = new LSTM(3, unitForgetBias: false, inputShape: [4, 2], name: "encoder").GetConfig();
        Assert.AreEqual(
            """{"name":"encoder","input_shape":[4,2],"units":3,"activation":"tanh","use_bias":true,"kernel_initializer":"glorot_uniform","recurrent_initializer":"orthogonal","bias_initializer":"zeros","dropout":0,"recurrent_dropout":0,"return_sequences":false,"return_state":false,"go_backwards":false,"recurrent_activation":"sigmoid","unit_forget_bias":false}""",
            lstm.ToJsonString());
        var gru = new GRU(3, resetAfter: false).GetConfig();
        Assert.IsFalse((bool)gru["reset_after"]!);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => GRU.FromConfig(new LayerConfig("GRU", new() { ["units"] = "3" })));
        Assert.AreEqual("The GRU config's 'units' must be an integer; received \"3\".", e.Message);
    }

    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void BadArguments_AreRejectedWithWhatWasReceived(string kind)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Make(kind, 0));
        StringAssert.Contains(e.Message, "units=0");
        e = Assert.ThrowsExactly<ArgumentException>(() => Make(kind, 3, dropout: 1));
        Assert.AreEqual("Received an invalid value for dropout, expected a float in [0, 1); received dropout=1. (Parameter 'dropout')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => Make(kind, 3, recurrentDropout: -0.1));
        StringAssert.Contains(e.Message, "recurrentDropout=-0.1");
    }
}
