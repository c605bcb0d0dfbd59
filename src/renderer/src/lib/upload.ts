/**
 * Browser mode's side of "Open file" and "Import file": the page sends the file's bytes to
 * the core (`POST /upload`, same origin, with the page's token cookie), which keeps them in a
 * private temp file and answers with an id for `file.load`. XMLHttpRequest rather than
 * fetch: it reports upload progress.
 */
import { UPLOAD_PATH, type UploadResult } from '@shared/library'

export function uploadFile(
  file: Blob & { name: string },
  onProgress: (sent: number, total: number) => void = () => {},
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', UPLOAD_PATH)
    request.setRequestHeader('Content-Type', 'application/octet-stream')
    request.setRequestHeader('X-File-Name', encodeURIComponent(file.name))
    request.upload.onprogress = (event) => onProgress(event.loaded, event.total || file.size)
    request.onload = () => {
      if (request.status === 200) {
        try {
          resolve(JSON.parse(request.responseText) as UploadResult)
        } catch {
          reject(new Error('the profiler gave an unreadable answer to the upload'))
        }
      } else {
        reject(new Error(request.responseText.trim() || `the upload failed (${request.status})`))
      }
    }
    request.onerror = () =>
      reject(new Error('the upload failed: the profiler closed the connection'))
    request.send(file)
  })
}
