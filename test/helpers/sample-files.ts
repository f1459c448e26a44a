// Realistic small course files generated with libraries (pdf-lib, docx) for extraction and simulator tests.
import { PDFDocument, PDFName, PDFHexString, PDFNumber, StandardFonts } from 'pdf-lib';
import { Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';

/** A PDF whose page n (1-based) reads "Page n: <line>" for each line given. */
export async function makePdf(pages: string[][], options: { title?: string } = {}): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  if (options.title) pdf.setTitle(options.title);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pages.forEach((lines, index) => {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(`Page ${index + 1}: ${line}`, { x: 50, y: 780 - i * 16, size: 11, font }));
  });
  return pdf.save({ useObjectStreams: false });
}

/** A PDF that declares standard encryption with a user password the reader does not have. */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.addPage([200, 200]);
  const context = pdf.context;
  const encrypt = context.obj({
    Filter: PDFName.of('Standard'),
    V: PDFNumber.of(1),
    R: PDFNumber.of(2),
    O: PDFHexString.of('a'.repeat(64)),
    U: PDFHexString.of('b'.repeat(64)),
    P: PDFNumber.of(-4),
  });
  context.trailerInfo.Encrypt = context.register(encrypt);
  const id = PDFHexString.of('0123456789abcdef0123456789abcdef');
  context.trailerInfo.ID = context.obj([id, id]);
  return pdf.save({ useObjectStreams: false });
}

/** A DOCX with a heading and the given paragraphs. */
export async function makeDocx(heading: string, paragraphs: string[]): Promise<Uint8Array> {
  const document = new Document({
    creator: 'moodle-mcp tests',
    sections: [
      {
        children: [
          new Paragraph({ text: heading, heading: HeadingLevel.HEADING_1 }),
          ...paragraphs.map((p) => new Paragraph({ children: [new TextRun(p)] })),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toBuffer(document));
}
