using MlNetRnn.Layers;
using MlNetRnn.Models;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models;

[TestClass]
public sealed class ModelTests
{
    [TestMethod]
    public void SameSeed_SameWeightsAndLossHistory()
    {
        using var scope = NewDisposeScope();
        var x = NotebookData.OneHotInputs();
        var y = NotebookData.TagTargets();
        using var a = NotebookData.Tagger(seed: 11);
        using var b = NotebookData.Tagger(seed: 11);
        using var c = NotebookData.Tagger(seed: 12);
        Assert.IsTrue(a.GetWeights().Zip(b.GetWeights()).All(p => p.First.allclose(p.Second, rtol: 0, atol: 0)));
        Assert.IsFalse(a.GetWeights()[0].allclose(c.GetWeights()[0], rtol: 0, atol: 0));
        var ha = a.Fit(x, y, epochs: 30, batchSize: 1, verbose: 0);
        var hb = b.Fit(x, y, epochs: 30, batchSize: 1, verbose: 0);
        CollectionAssert.AreEqual(ha.Loss.ToArray(), hb.Loss.ToArray());
    }

    [TestMethod]
    public void GlobalSeed_MakesUnseededModelsRepeat()
    {
        using var scope = NewDisposeScope();
        Utils.SetRandomSeed(123);
        using var a = new Sequential();
        a.Add(new Dense(4, inputShape: [3]));
        Utils.SetRandomSeed(123);
        using var b = new Sequential();
        b.Add(new Dense(4, inputShape: [3]));
        Assert.IsTrue(a.GetWeights()[0].allclose(b.GetWeights()[0], rtol: 0, atol: 0));
    }

    [TestMethod]
    public void GetSetWeights_RoundTrip()
    {
        using var scope = NewDisposeScope();
        using var source = NotebookData.Tagger(seed: 1);
        using var target = NotebookData.Tagger(seed: 2);
        var weights = source.GetWeights();
        CollectionAssert.AreEqual(new[] { "3x3", "3x3", "3", "3x3", "3" }, weights.Select(w => string.Join('x', w.shape)).ToArray());
        target.SetWeights(weights);
        var x = NotebookData.OneHotInputs();
        Assert.IsTrue(source.Predict(x).allclose(target.Predict(x), rtol: 0, atol: 0));
        // GetWeights hands out copies: changing one does not touch the model.
        weights[0].fill_(9);
        Assert.IsFalse(source.GetWeights()[0].allclose(weights[0], rtol: 0, atol: 0));
    }

    [TestMethod]
    public void SetWeights_WrongCountOrShape_NamesTheWeight()
    {
        using var scope = NewDisposeScope();
        using var model = NotebookData.Tagger(seed: 1);
        var weights = model.GetWeights();
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.SetWeights(weights.Take(4).ToArray()));
        StringAssert.Contains(e.Message, "expects 5 weights");
        StringAssert.Contains(e.Message, "received 4");
        var wrong = weights.ToArray();
        wrong[1] = zeros(3, 4);
        e = Assert.ThrowsExactly<ArgumentException>(() => model.SetWeights(wrong));
        StringAssert.Contains(e.Message, "simple_rnn/recurrent_kernel");
        StringAssert.Contains(e.Message, "(3, 3)");
        StringAssert.Contains(e.Message, "(3, 4)");
        // Nothing was changed by the failed call.
        Assert.IsTrue(model.GetWeights()[0].allclose(weights[0], rtol: 0, atol: 0));
    }

    [TestMethod]
    public void Fit_BadInputs_SayWhatWasReceivedAndExpected()
    {
        using var scope = NewDisposeScope();
        using var model = NotebookData.Tagger(seed: 1);
        var x = NotebookData.OneHotInputs();
        var y = NotebookData.TagTargets();

        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(zeros(2, 3), y, verbose: 0));
        StringAssert.Contains(e.Message, "(None, 3, 3)");
        StringAssert.Contains(e.Message, "(2, 3)");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(zeros(2, 3, 4), y, verbose: 0));
        StringAssert.Contains(e.Message, "(2, 3, 4)");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x, zeros(2, 4, dtype: ScalarType.Int64), verbose: 0));
        StringAssert.Contains(e.Message, "(2, 3)");
        StringAssert.Contains(e.Message, "(2, 4)");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x, y[..1], verbose: 0));
        StringAssert.Contains(e.Message, "same number of samples");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x, y + 1, verbose: 0));
        StringAssert.Contains(e.Message, "[0, 2]");
        StringAssert.Contains(e.Message, "[1, 3]");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x[..0], y[..0], verbose: 0));
        StringAssert.Contains(e.Message, "no samples");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x, y, batchSize: 0, verbose: 0));
        StringAssert.Contains(e.Message, "batchSize");
    }

    [TestMethod]
    public void Fit_ReportsValidationLossAndEvaluateAgreesWithTheLoss()
    {
        using var scope = NewDisposeScope();
        var x = NotebookData.OneHotInputs();
        var y = NotebookData.TagTargets();
        using var model = NotebookData.Tagger(seed: 5);
        var history = model.Fit(x, y, epochs: 3, verbose: 0, validationData: (x, y));
        Assert.HasCount(3, history.ValidationLoss);
        double evaluated = model.Evaluate(x, y);
        Assert.AreEqual(history.ValidationLoss[^1], evaluated, 1e-6, "the last validation loss is the model's loss after the last epoch");
        double byHand = model.Loss!.Compute(y, model.Predict(x)).item<float>();
        Assert.AreEqual(byHand, evaluated, 1e-6);
    }

    [TestMethod]
    public void Fit_Verbose_PrintsKerasStyleProgress()
    {
        using var scope = NewDisposeScope();
        using var model = NotebookData.Tagger(seed: 5);
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            model.Fit(NotebookData.OneHotInputs(), NotebookData.TagTargets(), epochs: 2, batchSize: 1, verbose: 1);
        }
        finally
        {
            Console.SetOut(previous);
        }
        var text = output.ToString();
        StringAssert.Contains(text, "Epoch 1/2");
        StringAssert.Contains(text, "Epoch 2/2");
        StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"2/2 ━{20} \d+s \d+ms/step - loss: \d\.\d{4}"));
    }

    [TestMethod]
    public void Fit_BeforeCompile_Fails()
    {
        using var scope = NewDisposeScope();
        using var model = new Sequential();
        model.Add(new Dense(2, activation: "softmax", inputShape: [3]));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Fit(zeros(1, 3), zeros(1, dtype: ScalarType.Int64), verbose: 0));
        StringAssert.Contains(e.Message, "Compile()");
    }

    [TestMethod]
    public void Sequential_RejectsMultiOutputLayersAndLateInputShapes()
    {
        using var model = new Sequential();
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Add(new SimpleRNN(3, returnState: true, inputShape: [2, 2])));
        StringAssert.Contains(e.Message, "single output");
        model.Add(new SimpleRNN(3, inputShape: [2, 2]));
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Add(new Dense(2, inputShape: [3])));
        StringAssert.Contains(e.Message, "Only the first layer");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Add(new SimpleRNN(2)));
        StringAssert.Contains(e.Message, "rank 3");
        Assert.HasCount(1, model.Layers);
    }

    [TestMethod]
    public void Sequential_WithoutInputShape_BuildsOnFirstPredict()
    {
        using var scope = NewDisposeScope();
        using var model = new Sequential(seed: 1);
        model.Add(new SimpleRNN(4));
        model.Add(new Dense(2));
        Assert.IsFalse(model.Built);
        Assert.ThrowsExactly<InvalidOperationException>(() => model.Summary());
        var y = model.Predict(zeros(5, 6, 3));
        CollectionAssert.AreEqual(new long[] { 5, 2 }, y.shape);
        Assert.AreEqual(3 * 4 + 4 * 4 + 4 + 4 * 2 + 2, model.CountParams());
    }

    // Found by users: a Sequential without an inputShape builds inside Fit's data checks; its weights were freed when
    // that dispose scope closed, and the first Adam step threw "Tensor invalid -- empty handle".
    [TestMethod]
    [DataRow("fit")]
    [DataRow("predict")]
    [DataRow("evaluate")]
    public void Sequential_BuiltOnFirstUse_KeepsItsWeights(string firstUse)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = randn([8, 5, 4], generator: g);
        var y = randint(0, 3, [8, 5], generator: g);
        using var model = new Sequential(seed: 2);
        model.Add(new SimpleRNN(6, returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam");
        switch (firstUse)
        {
            case "fit": model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0); break;
            case "predict": model.Predict(x); break;
            default: model.Evaluate(x, y); break;
        }
        Assert.IsTrue(model.Built);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = model.GetWeights();
        var history = model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);
        Assert.HasCount(3, history.Loss);
        Assert.IsTrue(history.Loss.All(double.IsFinite));
        Assert.IsFalse(before[0].allclose(model.GetWeights()[0]), "training changed the kernel");
        CollectionAssert.AreEqual(new long[] { 8, 5, 3 }, model.Predict(x).shape);
    }

    [TestMethod]
    public void Layer_BuiltInsideAScope_OutlivesIt()
    {
        var layer = new Dense(2);
        using (NewDisposeScope())
        {
            layer.Build([3], null);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var scope = NewDisposeScope();
        CollectionAssert.AreEqual(new long[] { 3, 2 }, layer.Weights[0].Read().shape);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, layer.Call(ones(1, 3))[0].shape);
    }

    [TestMethod]
    public void Summary_ReturnsTheTableWithoutPrinting()
    {
        using var model = NotebookData.Tagger(seed: 1);
        var previous = Console.Out;
        var console = new StringWriter();
        Console.SetOut(console);
        string summary;
        try
        {
            summary = model.Summary();
        }
        finally
        {
            Console.SetOut(previous);
        }
        Assert.AreEqual("", console.ToString());
        StringAssert.Contains(summary, "Total params: 33 (132.00 B)");
    }

    [TestMethod]
    public void Embedding_IdsOutOfRange_AreRejected()
    {
        using var scope = NewDisposeScope();
        using var model = new Sequential();
        model.Add(new Embedding(5, 2, inputShape: [-1]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Predict(tensor(new long[] { 1, 5 }).reshape(1, 2)));
        StringAssert.Contains(e.Message, "[0, 4]");
        StringAssert.Contains(e.Message, "[1, 5]");
    }

    [TestMethod]
    public void Functional_NamesAreUniquePerModelAndSummaryListsTheInput()
    {
        using var scope = NewDisposeScope();
        var input = new Input([4, 2]);
        var first = new SimpleRNN(3, returnSequences: true).Apply(input)[0];
        var second = new SimpleRNN(3, returnState: true).Apply(first);
        using var model = new Model(input, second);
        CollectionAssert.AreEqual(new[] { "simple_rnn", "simple_rnn_1" }, model.Layers.Select(l => l.Name).ToArray());
        var summary = model.Summary();
        StringAssert.Contains(summary, "input_layer (InputLayer)");
        StringAssert.Contains(summary, "[(None, 3), (None, 3)]");
        var predictError = Assert.ThrowsExactly<ArgumentException>(() => model.Predict(zeros(1, 4, 2)));
        StringAssert.Contains(predictError.Message, "PredictOutputs");
    }
}
