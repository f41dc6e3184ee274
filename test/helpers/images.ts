export { photoLike } from '../../bench/photo-folder'
