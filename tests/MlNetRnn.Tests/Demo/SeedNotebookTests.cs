using MlNetRnn.Pipelines.Demo;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Demo;

[TestClass]
public sealed class SeedNotebookTests
{
    private static readonly float[] NotebookOutput = [0.08964063f, 0.830997f, -0.92504376f];

    [TestMethod]
    public void CellExample_OutputAndStateMatchTheNotebook()
    {
        using var scope = NewDisposeScope();
        using var model = SeedNotebook.CellModel();
        var outputs = model.PredictOutputs(tensor(new float[] { 1, 2 }).reshape(1, 1, 2));
        Assert.HasCount(2, outputs);
        CollectionAssert.AreEqual(new long[] { 1, 3 }, outputs[0].shape);
        CollectionAssert.AreEqual(new long[] { 1, 3 }, outputs[1].shape);
        var output = outputs[0].data<float>().ToArray();
        var state = outputs[1].data<float>().ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.AreEqual(NotebookOutput[i], output[i], 1e-6, $"output[{i}]");
            Assert.AreEqual(NotebookOutput[i], state[i], 1e-6, $"state[{i}]");
        }
    }

    [TestMethod]
    public void CellExample_WeightsReadBackInKerasLayout()
    {
        using var scope = NewDisposeScope();
        using var model = SeedNotebook.CellModel();
        var named = model.NamedWeights.Select(w => (w.Path, Shape: w.Weight.Shape)).ToArray();
        Assert.AreEqual("simple_rnn/kernel", named[0].Path);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, named[0].Shape);
        Assert.AreEqual("simple_rnn/recurrent_kernel", named[1].Path);
        CollectionAssert.AreEqual(new long[] { 3, 3 }, named[1].Shape);
        Assert.AreEqual("simple_rnn/bias", named[2].Path);
        CollectionAssert.AreEqual(new long[] { 3 }, named[2].Shape);
        var kernel = model.GetWeights()[0];
        Assert.AreEqual(-0.04074979f, kernel[0, 1].item<float>(), 1e-9);
        Assert.AreEqual(-0.22642076f, kernel[1, 0].item<float>(), 1e-9);
    }

    [TestMethod]
    public void Tagger_SummaryCountsKerasParameters()
    {
        using var model = SeedNotebook.Tagger(seed: 1);
        var summary = model.Summary();
        StringAssert.Contains(summary, "Model: \"sequential\"");
        StringAssert.Matches(summary, new System.Text.RegularExpressions.Regex(@"simple_rnn \(SimpleRNN\)\s+│ \(None, 3, 3\)\s+│\s+21 │"));
        StringAssert.Matches(summary, new System.Text.RegularExpressions.Regex(@"time_distributed \(TimeDistributed\)\s+│ \(None, 3, 3\)\s+│\s+12 │"));
        StringAssert.Contains(summary, "Total params: 33 (132.00 B)");
        StringAssert.Contains(summary, "Trainable params: 33 (132.00 B)");
        StringAssert.Contains(summary, "Non-trainable params: 0 (0.00 B)");
        Assert.AreEqual(33, model.CountParams());
    }

    [TestMethod]
    public void Tagger_LearnsSvoIn2000Epochs()
    {
        using var scope = NewDisposeScope();
        using var model = SeedNotebook.Tagger(seed: 1);
        var x = SeedNotebook.OneHotInputs();
        var history = model.Fit(x, SeedNotebook.TagTargets(), epochs: 2000, verbose: 0);
        Assert.AreEqual(2000, history.Epochs);
        Assert.IsLessThan(0.05, history.Loss[^1]);
        Assert.IsGreaterThan(history.Loss[^1], history.Loss[0]);
        var probabilities = model.Predict(x);
        CollectionAssert.AreEqual(new long[] { 2, 3, 3 }, probabilities.shape);
        Assert.AreEqual("John/S loves/V Jane/O", SeedNotebook.TagSentence(SeedNotebook.Sentences[0], probabilities[0]));
        Assert.AreEqual("Jane/S loves/V John/O", SeedNotebook.TagSentence(SeedNotebook.Sentences[1], probabilities[1]));
    }
}
