"""Seeds 001-004: the items a careful reader lists (expectations written from the seeds)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from studio.ingest import read_episode
from studio.ingest.textwidth import width

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seed(seeds_dir):
    def load(prefix: str, fmt: str | None = None):
        (path,) = seeds_dir.glob(f"{prefix}_*.txt")
        return read_episode(path, fmt)

    return load


# --- Hugo post (003) ---------------------------------------------------------

HUGO_TITLES = [
    "VAST宋亚宸：3D生成迈入秒级时代，今年将做到Midjourney V5/V6水平丨GenAIC",
    "焱融科技张文涛：将大模型训练效率提升40%！详解多云架构下高效存储策略",
    "5分钟搭建大模型应用！腾讯将「实用主义」贯彻到底",
    "行业首发！一句话用AI创作视频画本、漫画，网民脑洞要停不住了！",
    "超级细菌、AI黑盒与不老奥秘",
    "AI 需求强劲，英伟达距离苹果只差一步之遥",
    "英伟达股价起飞暗含隐忧：竞品频出、客户背刺、AI市场格局波动",
    "李开复最新财富论坛AI访谈：中国AI只比美国晚一年",
    "第一波黑客已经用大模型搞网络攻击",
    "中国AI独角兽资本大冒险",
    "AI独角兽集体求卖身，新一轮洗牌期开始了",
    "鹅厂造了个AI翻译公司：专攻网络小说，真人和GPT-4看了都说好",
    "大模型“国家队”发力了 ，中国移动发布“万百千”",
]


def test_hugo_metadata_from_toml(seed):
    ep = seed("003")
    assert ep.format == "hugo"
    assert ep.slug == "ai20240526"
    assert ep.date == dt.date(2024, 5, 26)
    assert ep.title.startswith("[AI资讯·0526] AI技术快速发展")
    assert ep.tags == ["AI", "AI资讯", "人工智能"]
    assert ep.image == "ai20240526-1.jpg"


def test_hugo_items_images_and_links(seed):
    items = seed("003").items
    assert [it.title for it in items] == HUGO_TITLES
    assert [it.image for it in items] == [f"ai20240526-{n}.jpg" for n in range(13, 0, -1)]
    for it in items:
        assert len(it.links) == 1 and it.links[0].label == "报道详情"
        assert it.links[0].url.startswith("https://www.163.com/dy/article/")
        assert "报道详情" not in it.speech_text and "http" not in it.speech_text
        assert "![" not in it.text  # the image moved to item.image
    assert items[0].links[0].url == "https://www.163.com/dy/article/J2VO20AB051180F7.html"
    assert items[-1].links[0].url == "https://www.163.com/dy/article/J31V8FG00511DSSR.html"


def test_hugo_drops_empty_headings(tmp_path):
    text = '+++\ntitle = "t"\ndate = "2024-05-26"\n+++\n\n## 第一条\n\n正文一。\n\n## \n\n## 空的标题\n\n![x](a.jpg)\n\n## 第二条\n\n正文二。\n'
    path = tmp_path / "post.md"
    path.write_text(text, encoding="utf-8")
    ep = read_episode(path)
    assert ep.format == "hugo"
    assert [(it.title, it.text) for it in ep.items] == [("第一条", "正文一。"), ("第二条", "正文二。")]


# --- Newsletter (004) --------------------------------------------------------

SECTIONS = ["热点新闻", "工具篇", "商业篇", "科研篇", "重点关注", "趣事"]
PER_SECTION = {"热点新闻": 4, "工具篇": 7, "商业篇": 8, "科研篇": 4, "重点关注": 5, "趣事": 1}


def test_newsletter_summary_sections_and_items(seed):
    ep = seed("004")
    assert ep.format == "newsletter"
    assert ep.summary.startswith("苹果分享了其多模态模型的详情")
    assert ep.summary.endswith("等等！")
    assert ep.sections == SECTIONS
    counts = {s: sum(it.section == s for it in ep.items) for s in SECTIONS}
    assert counts == PER_SECTION
    top = ep.items[:4]
    assert [it.title for it in top] == [
        "MM1: 多模态大语言模型预训练的方法、分析和见解",
        "Cerebras公布其下一代芯片规模人工智能芯片",
        "微软聘请DeepMind联合创始人穆斯塔法·苏莱曼（Mustafa Suleyman）负责新的消费者人工智能部门",
        "Stability AI的首席执行官辞职，以“追求分散式人工智能”为由",
    ]
    assert top[0].image == "https://img2.imgtp.com/2024/03/27/4hLUr1Cb.jpeg"


def test_newsletter_bullets_are_items_with_source_links(seed):
    ep = seed("004")
    bullets = [it for it in ep.items if it.section != "热点新闻"]
    assert len(bullets) == 25
    for it in bullets:
        assert [link.label for link in it.links] == ["链接"]
        assert "链接" not in it.speech_text and "http" not in it.speech_text
        assert it.speech_text.endswith("。")
    gr00t = bullets[0]
    assert gr00t.title.startswith("英伟达在其GTC开发者大会上推出了GR00T")
    assert gr00t.links[0].url == "https://spectrum.ieee.org/nvidia-gr00t-ros"
    assert bullets[-1].section == "趣事"
    assert bullets[-1].links[0].url == "https://www.whytryai.com/p/my-popular-text-to-image-series"


def test_newsletter_footer_and_rules_are_not_items(seed):
    ep = seed("004")
    assert not any("Copyright" in it.text or "---" in it.text for it in ep.items)
    assert ep.meta["section_images"]["工具篇"] == "https://img2.imgtp.com/2024/03/27/Pdhr2YDM.jpeg"


def test_newsletter_example_episode_uses_yaml_front_matter():
    ep = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md")
    assert ep.format == "newsletter"
    assert ep.title == "AI 周报：苹果 MM1、Cerebras WSE-3 与微软的 Inflection 交易"
    assert ep.slug == "ai-weekly-2024-03-27"
    assert ep.number == 2
    assert len(ep.items) == 29
    assert ep.summary.startswith("苹果分享了")


# --- Web article (001) -------------------------------------------------------


def test_article_title_sections_and_boilerplate(seed):
    ep = seed("001")
    assert ep.format == "article"
    assert ep.title == "为了ChatGPT,大厂老板们拼了"
    assert ep.sections == ["AI 2.0,蓝海正在变红", "人工智能的iPhone时代,来了"]
    everything = "\n".join(it.text for it in ep.items)
    for boilerplate in ["评论", "浏览", "作者:伊柒", "来源公众号", "授权发布", "题图", "图片来自网络", "更多精彩内容", "还没评论"]:
        assert boilerplate not in everything


def test_article_items_follow_sections_and_stories(seed):
    items = seed("001").items
    intro, stories = items[0], items[1:]
    assert intro.kind == "intro" and intro.section == ""
    assert intro.text.startswith("在ChatGPT出现之后") and intro.text.endswith("和应用级产品的爆发期。")
    first = [it for it in stories if it.section == "AI 2.0,蓝海正在变红"]
    second = [it for it in stories if it.section == "人工智能的iPhone时代,来了"]
    assert 2 <= len(first) <= 5 and 2 <= len(second) <= 5  # a handful of stories, not 29 paragraphs
    assert all(200 <= len(it.text) <= 800 for it in stories)
    assert first[0].text.startswith("AI的风口中，从来不缺大佬站台、资本押注。")  # display typography
    assert second[-1].text.rstrip().endswith(seed("001").items[-1].text.rstrip()[-20:])
    assert "如果说AI1.0是黑夜烛火" in second[-1].text
    assert any("贾扬清" in it.text for it in second)
    titles = [it.title for it in stories]
    assert len(set(titles)) == len(titles) and all(0 < width(t) <= 48 for t in titles)


# --- Translated report (002) -------------------------------------------------

REPORT_SECTIONS = [
    "Industry 进展总结",
    "算力成为新的石油",
    "GenAI 应用",
    "GenAI 与版权争议",
    "人工智能与人工",
    "生物制药",
    "人才流动",
    "自动驾驶",
    "产业投资",
    "编者总结与展望",
]


def _by_title(items, start: str):
    return next(it for it in items if it.title.startswith(start))


def test_report_sections_and_headline_items(seed):
    ep = seed("002")
    assert ep.format == "report"
    assert ep.sections == REPORT_SECTIONS
    assert ep.items[0].kind == "intro" and ep.items[0].text.startswith("本周四 stateof. ai 出品了")
    assert len(ep.items) == 51
    per_section = {s: sum(it.section == s for it in ep.items) for s in REPORT_SECTIONS}
    assert per_section == {
        "Industry 进展总结": 1, "算力成为新的石油": 14, "GenAI 应用": 9, "GenAI 与版权争议": 3,
        "人工智能与人工": 3, "生物制药": 2, "人才流动": 3, "自动驾驶": 2, "产业投资": 12, "编者总结与展望": 1,
    }  # fmt: skip
    gpu = ep.items[2]
    assert gpu.title == "GPU demand sees NVIDIA print blowout earnings as it enters the $1T market cap club"
    assert gpu.text.startswith("截至 2023 年第二季度,NVIDIA 数据中心的收入")


def test_report_footnotes_become_links_and_leave_the_text(seed):
    items = seed("002").items
    gpu = items[2]
    assert "171%。" in gpu.text and "171%2" not in gpu.text and "疲软。" in gpu.text
    assert [link.url for link in gpu.links] == [
        "https://nvidianews.nvidia.com/news/nvidia-announces-financial-results-for-second-quarter-fiscal-2024",
        "https://app.koyfin.com/share/bc78c9e929",
    ]
    edge = _by_title(items, "Private companies are shoring up NVIDIA GPUs")
    assert edge.title.endswith("competitive edge")
    assert [link.url.split("/")[2] for link in edge.links] == ["www.oracle.com", "inflection.ai", "techcrunch.com", "imbue.com"]
    deepspeech = _by_title(items, "DeepSpeech 2: The early masters of scale")
    assert "DeepSpeech 2," in deepspeech.text  # "DeepSpeech 258," -> name kept, marker 58 removed
    assert deepspeech.links[0].label == "Deep Speech 2: End-to-End Speech Recognition in English and Mandarin"
    dalle = _by_title(items, "Text-to-image models")
    assert "DALL-E 3" in dalle.text and "DALL-E 335" not in dalle.text
    assert len(dalle.links) == 6
    tesla = _by_title(items, "Tesla marches towards a Top-5")
    assert tesla.title.endswith("in the world") and tesla.links[0].url.startswith("https://www.theverge.com/")
    cited = [link.url for it in items for link in it.links]
    assert len(set(cited)) == 75  # every footnote reaches an item that cites it
    assert len(cited) == 77  # footnotes 1 and 2 are cited by the intro and by the GPU item


def test_report_bullets_captions_and_toc(seed):
    items = seed("002").items
    text = "\n".join(it.text for it in items)
    assert "State of AI 2023 报告年度总结" not in text  # table of contents
    assert "CoreWeave + NVIDIA" not in text and "Sanofi all in on AI" not in text  # repeated captions
    assert "BioNTech Completes Acquisition" not in text
    arm = _by_title(items, "Softbank re-lists Arm on the NASDAQ")
    assert arm.text.startswith("在 NVIDIA 的收购计划被阻止后,Softbank 将 Arm 重新列入纳斯达克交易所。")
    assert arm.text.count("\n- ") == 3  # its three bullets stay in the item
    assert "Arm 本身不销售物理芯片" in arm.speech_text and "•" not in arm.speech_text
    pharma = _by_title(items, "Once ignored by major pharma")
    assert pharma.text.count("- ") == 4
    nvidia = _by_title(items, "2022 Prediction: NVIDIA forms")
    assert "拓展新的行业垂直领域。" in nvidia.speech_text  # a bullet became a sentence
    assert not any(it.title == "**" or it.text.strip() == "**" for it in items)


def test_every_format_name_is_available():
    from studio.ingest import format_names

    assert {"transcript", "hugo", "newsletter", "article", "report", "markdown", "text"} <= set(format_names())
